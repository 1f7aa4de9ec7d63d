import { describe, expect, test } from '@jest/globals';
import { createOnlyChanges, updatableChanges } from '../../../src/domain/diff-fields.js';
import type { FieldChange } from '../../../src/domain/plan.js';
import { aDesiredInstance, aLiveInstance, type DesiredOverrides, type LiveOverrides } from '../../helpers/builders.js';

const changes = (desired: DesiredOverrides['spec'], live: LiveOverrides): FieldChange[] =>
  createOnlyChanges(aDesiredInstance({ spec: desired }).spec, aLiveInstance(live));

describe('create-only comparison: declared fields only, Rancher echo normalised', () => {
  test.each<[string, DesiredOverrides['spec'], LiveOverrides, FieldChange[]]>([
    ['an image with and without the docker: prefix is the same image', { imageUuid: 'nginx:1.25' }, {}, []],
    ['a different image tag is a change', { imageUuid: 'docker:nginx:1.27' }, {}, [{ field: 'imageUuid', from: 'docker:nginx:1.25', to: 'docker:nginx:1.27' }]],
    ['a declared empty list equals an unset (null) one', { command: [], dns: [] }, {}, []],
    ['command order matters', { command: ['b', 'a'] }, { fields: { command: ['a', 'b'] } }, [{ field: 'command', from: ['a', 'b'], to: ['b', 'a'] }]],
    ['a command echoed as one string equals a one-element list', { command: ['serve'] }, { fields: { command: 'serve' } }, []],
    ['ports without a protocol equal ports echoed with /tcp, in any order', { ports: ['8080:80', '53:53/udp'] }, { fields: { ports: ['53:53/udp', '8080:80/tcp'] } }, []],
    ['a different port is a change', { ports: ['8081:80'] }, { fields: { ports: ['8080:80/tcp'] } }, [{ field: 'ports', from: ['8080:80/tcp'], to: ['8081:80'] }]],
    ['maps compare declared keys only (keys Rancher adds are not drift)', { labels: { tier: 'web' } }, { fields: { labels: { tier: 'web', 'io.rancher.container.ip': '10.42.0.2/16' } } }, []],
    ['a changed label is reported per key', { labels: { tier: 'web', team: 'a' } }, { fields: { labels: { tier: 'db', team: 'a' } } }, [{ field: 'labels.tier', from: 'db', to: 'web' }]],
    ['an environment change carries both values (masking is diff\'s last step, see sensitive.test.ts)', { environment: { TZ: 'UTC' } }, { fields: { environment: { TZ: 'CET' } } }, [{ field: 'environment.TZ', from: 'CET', to: 'UTC' }]],
    ['a declared map key missing live is a change', { environment: { A: '1' } }, {}, [{ field: 'environment.A', from: null, to: '1' }]],
    ['a number echoed as a string equals the number', { memory: 67108864, cpuShares: 512 }, { fields: { memory: '67108864', cpuShares: 512 } }, []],
    ['an unset number equals a declared 0', { memory: 0 }, {}, []],
    ['a different number is a change', { cpuShares: 256 }, { fields: { cpuShares: 512 } }, [{ field: 'cpuShares', from: 512, to: 256 }]],
    ['a null boolean equals a declared false', { privileged: false, tty: false }, { fields: { privileged: null, tty: null } }, []],
    ['a declared true against false is a change', { privileged: true }, {}, [{ field: 'privileged', from: false, to: true }]],
    ['an unset networkMode is the default managed', { networkMode: 'managed' }, { fields: { networkMode: null } }, []],
    ['requestedHostId falls back to the host the instance runs on', { requestedHostId: '1h1' }, { hostId: '1h1', fields: { requestedHostId: null } }, []],
    ['restartPolicy compares the declared parts only', { restartPolicy: { name: 'always' } }, { fields: { restartPolicy: { name: 'always', maximumRetryCount: 0 } } }, []],
    ['a different restartPolicy is a change', { restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } }, { fields: { restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } } }, [{ field: 'restartPolicy', from: { name: 'on-failure', maximumRetryCount: 5 }, to: { name: 'on-failure', maximumRetryCount: 3 } }]],
    ['an undeclared field is never compared', {}, { fields: { command: ['sh'], hostname: 'x', user: 'root', memory: 5 } }, []],
    ['a declared string compares exactly', { workingDir: '/srv' }, { fields: { workingDir: '/app' } }, [{ field: 'workingDir', from: '/app', to: '/srv' }]],
  ])('%s', (_rule, desired, live, expected) => {
    expect(changes(desired, live)).toEqual(expected);
  });
});

describe('updatable comparison', () => {
  test.each<[string, DesiredOverrides['spec'], LiveOverrides, ReturnType<typeof updatableChanges>]>([
    ['nothing when name matches and description is undeclared', {}, { description: 'x' }, { changes: {}, previous: {} }],
    ['the name always counts', { name: 'b' }, { name: 'a' }, { changes: { name: 'b' }, previous: { name: 'a' } }],
    ['a declared description against null', { description: 'd' }, {}, { changes: { description: 'd' }, previous: { description: null } }],
  ])('%s', (_rule, desired, live, expected) => {
    expect(updatableChanges(aDesiredInstance({ spec: desired }).spec, aLiveInstance(live))).toEqual(expected);
  });
});
