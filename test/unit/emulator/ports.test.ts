import { describe, expect, test } from '@jest/globals';
import { allocationFailureMessage, bindFailureMessage, firstConflict, publishedPorts, type PublishedPort } from '../../../src/emulator/ports.js';

const tcp = (publicPort: number, bindIp: string | null = null): PublishedPort => ({ bindIp, publicPort, protocol: 'tcp' });

describe('published host ports (cattle PortSpec)', () => {
  test.each<[string, unknown, PublishedPort[]]>([
    ['public:private/protocol', ['8080:80/tcp'], [tcp(8080)]],
    ['tcp by default', ['8080:80'], [tcp(8080)]],
    ['udp', ['53:53/udp'], [{ bindIp: null, publicPort: 53, protocol: 'udp' }]],
    ['a bind address', ['127.0.0.1:8443:443/tcp'], [tcp(8443, '127.0.0.1')]],
    ['an IPv6 bind address', ['[::1]:8443:443'], [tcp(8443, '::1')]],
    ['no public port: no fixed host port', ['80', '80/udp', '127.0.0.1::80'], []],
    ['malformed or out of range: skipped', ['web', '8080:80/sctp', '70000:80', 80], []],
    ['no ports field', null, []],
  ])('%s', (_rule, ports, expected) => {
    expect(publishedPorts(ports)).toEqual(expected);
  });

  test.each<[string, PublishedPort[], PublishedPort[], PublishedPort | undefined]>([
    ['the same port and protocol conflict', [tcp(8080)], [tcp(8080)], tcp(8080)],
    ['another protocol does not', [tcp(8080)], [{ bindIp: null, publicPort: 8080, protocol: 'udp' }], undefined],
    ['another bind address does not (as in cattle)', [tcp(8080, '127.2.2.2')], [tcp(8080)], undefined],
    ['the first wanted port taken is named', [tcp(9000), tcp(8080)], [tcp(8080), tcp(9000)], tcp(9000)],
  ])('%s', (_rule, wanted, used, expected) => {
    expect(firstConflict(wanted, used)).toEqual(expected);
  });

  test('the failure texts are cattle\'s allocation message and Docker\'s bind error', () => {
    expect(allocationFailureMessage([tcp(8080), { bindIp: null, publicPort: 53, protocol: 'udp' }]))
      .toBe('Allocation failed: host needs ports 8080/tcp, 53/udp available');
    expect(bindFailureMessage(tcp(8080))).toBe('Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(bindFailureMessage(tcp(8443, '127.0.0.1'))).toBe('Bind for 127.0.0.1:8443 failed: port is already allocated');
  });
});
