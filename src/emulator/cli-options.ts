import { ConfigError } from '../errors.js';
import type { LevelWithSilent } from 'pino';
import type { EmulatorOptions } from './emulator.js';
import type { FaultPlan } from './faults.js';
import { plannedHealthStates, type PlannedHealth } from './health.js';

/** The raw string flags of `rancher-reconciler emulator`, as commander hands them over. */
export type EmulatorFlags = Readonly<{
  port?: string;
  host?: string;
  accessKey?: string;
  secretKey?: string;
  hosts?: string;
  transitionMs?: string;
  coalesceMs?: string;
  pingIntervalMs?: string;
  purgeDelayMs?: string;
  projects?: string;
  rateLimit?: string;
  failRate?: string;
  failStartImages?: string;
  healthImages?: string;
  latencyMs?: string;
  seed?: string;
  data?: string;
  logLevel?: string;
}>;

const levels: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Parses `--health-images image=state,...` (split at the last `=`: an imageUuid holds colons, never `=`).
 * Pushes one issue and returns undefined when an entry is malformed.
 */
function parseHealthImages(text: string | undefined, issues: string[]): Record<string, PlannedHealth> | undefined {
  if (text === undefined) return undefined;
  const images: Record<string, PlannedHealth> = {};
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const split = entry.lastIndexOf('=');
    const state = entry.slice(split + 1) as PlannedHealth;
    if (split <= 0 || !plannedHealthStates.includes(state)) {
      issues.push(`Expected \`--health-images\` to be a comma-separated list of imageUuid=${plannedHealthStates.join('|')}, got \`${entry}\``);
      return undefined;
    }
    images[entry.slice(0, split)] = state;
  }
  return images;
}

/** Emulator options plus the log level of the command. */
export type EmulatorCommandConfig = Readonly<{ options: EmulatorOptions; logLevel: LevelWithSilent }>;

/**
 * Validates the emulator flags and builds EmulatorOptions. Every problem is collected (expected/got
 * style) and thrown together as one ConfigError; secrets never appear in the messages.
 */
export function parseEmulatorFlags(flags: EmulatorFlags): EmulatorCommandConfig {
  const issues: string[] = [];
  const int = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      issues.push(`Expected \`--${name}\` to be an integer from ${min} to ${max}, got \`${text}\``);
      return undefined;
    }
    return Number(text);
  };
  const port = int('port', flags.port, 0, 65535);
  const hosts = int('hosts', flags.hosts, 0, 1000);
  const transitionMs = int('transition-ms', flags.transitionMs, 0, 3_600_000);
  const eventCoalesceMs = int('coalesce-ms', flags.coalesceMs, 0, 3_600_000);
  const pingIntervalMs = int('ping-interval-ms', flags.pingIntervalMs, 1, 3_600_000);
  const purgeDelayMs = int('purge-delay-ms', flags.purgeDelayMs, 0, 86_400_000);
  const rps = int('rate-limit', flags.rateLimit, 1, 1_000_000);
  const latencyMs = int('latency-ms', flags.latencyMs, 0, 600_000);
  const seed = int('seed', flags.seed, 0, 4_294_967_295);
  const healthImages = parseHealthImages(flags.healthImages, issues);
  let failRate: number | undefined;
  if (flags.failRate !== undefined) {
    failRate = Number(flags.failRate);
    if (!/^\d*\.?\d+$/.test(flags.failRate) || failRate > 1) {
      issues.push(`Expected \`--fail-rate\` to be a number from 0 to 1, got \`${flags.failRate}\``);
      failRate = undefined;
    }
  }
  if ((flags.accessKey === undefined) !== (flags.secretKey === undefined)) {
    issues.push('Expected `--access-key` and `--secret-key` together, got only one of them');
  }
  if (flags.accessKey === '' || flags.secretKey === '') issues.push('Expected `--access-key` and `--secret-key` to be non-empty');
  if (flags.host !== undefined && flags.host.trim() === '') issues.push('Expected `--host` to be a host name or address, got ``');
  if (flags.data !== undefined && flags.data.trim() === '') issues.push('Expected `--data` to be a file path, got ``');
  const projects = flags.projects?.split(',').map((project) => project.trim());
  const badProject = projects?.find((project) => !/^1a\d+$/.test(project));
  if (badProject !== undefined) issues.push(`Expected \`--projects\` to be a comma-separated list of ids like 1a5, got \`${badProject}\``);
  const logLevel = (flags.logLevel ?? 'info') as LevelWithSilent;
  if (!levels.includes(logLevel)) issues.push(`Expected \`--log-level\` to be one of ${levels.join(', ')}, got \`${flags.logLevel}\``);
  if (issues.length > 0) throw new ConfigError(issues);

  const faults: FaultPlan = {};
  if (rps !== undefined) faults.rateLimit = { rps };
  const rules: NonNullable<FaultPlan['rules']> = [];
  if (latencyMs !== undefined && latencyMs > 0) rules.push({ effect: 'latency', latencyMs });
  if (failRate !== undefined && failRate > 0) rules.push({ effect: 'error', status: 503, probability: failRate });
  if (rules.length > 0) faults.rules = rules;
  if (flags.failStartImages) faults.failStartImages = flags.failStartImages.split(',').map((image) => image.trim()).filter(Boolean);
  if (healthImages !== undefined) faults.healthImages = healthImages;
  if (seed !== undefined) faults.seed = seed;

  const options: EmulatorOptions = { faults };
  if (port !== undefined) options.port = port;
  if (flags.host !== undefined) options.host = flags.host;
  if (flags.accessKey !== undefined && flags.secretKey !== undefined) {
    options.accessKey = flags.accessKey;
    options.secretKey = flags.secretKey;
  }
  if (hosts !== undefined) options.hosts = hosts;
  if (transitionMs !== undefined) options.transitionMs = transitionMs;
  if (eventCoalesceMs !== undefined) options.eventCoalesceMs = eventCoalesceMs;
  if (pingIntervalMs !== undefined) options.pingIntervalMs = pingIntervalMs;
  if (purgeDelayMs !== undefined) options.purgeDelayMs = purgeDelayMs;
  if (projects !== undefined) options.projects = projects;
  if (flags.data !== undefined) options.dataFile = flags.data;
  return { options, logLevel };
}
