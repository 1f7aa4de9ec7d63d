import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../../src/errors.js';
import { parseEmulatorFlags, type EmulatorFlags } from '../../../src/emulator/cli-options.js';

describe('emulator flags', () => {
  test.each<[string, EmulatorFlags, Record<string, unknown>]>([
    ['maps the documented flags', { port: '8080', host: '0.0.0.0', hosts: '3', transitionMs: '50' },
      { port: 8080, host: '0.0.0.0', hosts: 3, transitionMs: 50 }],
    ['turns access control on with both keys', { accessKey: 'a', secretKey: 's' }, { accessKey: 'a', secretKey: 's' }],
    ['builds the fault plan of the extension flags', { rateLimit: '20', failRate: '0.3', latencyMs: '40', failStartImages: 'docker:a, docker:b', seed: '7' },
      { faults: { rateLimit: { rps: 20 }, rules: [{ effect: 'latency', latencyMs: 40 }, { effect: 'error', status: 503, probability: 0.3 }], failStartImages: ['docker:a', 'docker:b'], seed: 7 } }],
    ['takes projects and the coalescing window', { projects: '1a5,1a7', coalesceMs: '0' }, { projects: ['1a5', '1a7'], eventCoalesceMs: 0 }],
    ['keeps the store in the --data file', { data: 'state/emulator.json' }, { dataFile: 'state/emulator.json' }],
    ['maps --health-images, splitting each entry at its last =', { healthImages: 'docker:web:1.2=healthy, docker:db=initializing' },
      { faults: { healthImages: { 'docker:web:1.2': 'healthy', 'docker:db': 'initializing' } } }],
  ])('%s', (_rule, flags, expected) => {
    expect(parseEmulatorFlags(flags).options).toMatchObject(expected);
  });

  test.each<[string, EmulatorFlags, string]>([
    ['a port out of range', { port: '70000' }, 'Expected `--port` to be an integer from 0 to 65535, got `70000`'],
    ['a fail rate above 1', { failRate: '1.5' }, 'Expected `--fail-rate` to be a number from 0 to 1, got `1.5`'],
    ['a lone secret key', { secretKey: 'hidden' }, 'Expected `--access-key` and `--secret-key` together, got only one of them'],
    ['a malformed project id', { projects: '1a5,abc' }, 'Expected `--projects` to be a comma-separated list of ids like 1a5, got `abc`'],
    ['an empty data file path', { data: ' ' }, 'Expected `--data` to be a file path, got ``'],
    ['a health image without a state', { healthImages: 'docker:web' },
      'Expected `--health-images` to be a comma-separated list of imageUuid=healthy|unhealthy|initializing, got `docker:web`'],
    ['an unknown log level', { logLevel: 'loud' }, 'Expected `--log-level` to be one of fatal, error, warn, info, debug, trace, silent, got `loud`'],
  ])('rejects %s', (_rule, flags, issue) => {
    let error: unknown;
    try {
      parseEmulatorFlags(flags);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([issue]);
    expect((error as ConfigError).message).not.toContain('hidden');
  });

  test('reports every problem at once', () => {
    expect(() => parseEmulatorFlags({ port: 'x', hosts: 'y', transitionMs: '-1' })).toThrow(/port.*hosts.*transition-ms/);
  });
});
