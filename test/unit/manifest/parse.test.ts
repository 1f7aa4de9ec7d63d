import { describe, expect, it, test } from '@jest/globals';
import { formatIssue } from '../../../src/manifest/issues.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';

/** A document whose spec lines start at line 6. */
const doc = (spec: string): string => `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web-1\nspec:\n${spec}`;
/** The image line (line 6); extra spec lines then start at line 7. */
const img = '  imageUuid: docker:nginx:1.25\n';

const issuesOf = (text: string): string[] => parseManifestFile(text, 'f.yaml').issues.map(formatIssue);

describe('parseManifestFile: one row per validation rule, exact message and position', () => {
  test.each<[string, string, string[]]>([
    // spec.name / description
    ['spec.name must not be empty', doc(`${img}  name: ""\n`), ['f.yaml:7:9: spec.name: must not be empty']],
    ['spec.name is at most 255 characters', doc(`${img}  name: ${'n'.repeat(256)}\n`), ['f.yaml:7:9: spec.name: must be at most 255 characters, got 256']],
    ['spec.name must be a string (quote numbers)', doc(`${img}  name: 42\n`), ['f.yaml:7:9: spec.name: expected a string, got a number (quote it: "42")']],
    ['spec.description is at most 1024 characters', doc(`${img}  description: ${'d'.repeat(1025)}\n`), ['f.yaml:7:16: spec.description: must be at most 1024 characters, got 1025']],
    ['spec.description may be empty', doc(`${img}  description: ""\n`), []],
    ['spec.description null is an error, not unset', doc(`${img}  description:\n`), ['f.yaml:7:3: spec.description: expected a string, got null (give it a value or remove the field)']],
    // imageUuid
    ['spec.imageUuid is required', doc('  description: x\n'), ['f.yaml:5:1: spec.imageUuid: required field is missing']],
    ['spec.imageUuid must not be empty', doc('  imageUuid: ""\n'), ['f.yaml:6:14: spec.imageUuid: must not be empty']],
    ['spec.imageUuid needs the docker: prefix', doc('  imageUuid: nginx\n'), ['f.yaml:6:14: spec.imageUuid: must start with "docker:" (did you mean "docker:nginx"?)']],
    ['spec.imageUuid needs an image after the prefix', doc('  imageUuid: "docker:"\n'), ['f.yaml:6:14: spec.imageUuid: must name an image after "docker:" without spaces, got "docker:"']],
    // lists
    ['spec.command must be a list, not one string', doc(`${img}  command: sleep 10\n`), ['f.yaml:7:12: spec.command: expected a list of strings, got a string (write a list: ["sleep 10"])']],
    ['spec.command items must be strings', doc(`${img}  command: [sleep, 10]\n`), ['f.yaml:7:20: spec.command[1]: expected a string, got a number (quote it: "10")']],
    ['spec.entryPoint must be a list', doc(`${img}  entryPoint: {a: b}\n`), ['f.yaml:7:15: spec.entryPoint: expected a list of strings, got a mapping']],
    ['spec.ports items must be strings', doc(`${img}  ports:\n    - 80\n`), ['f.yaml:8:7: spec.ports[0]: expected a string, got a number (quote it: "80")']],
    ['spec.expose must be a list', doc(`${img}  expose: 9000\n`), ['f.yaml:7:11: spec.expose: expected a list of strings, got a number']],
    ['spec.dns items must be strings', doc(`${img}  dns: [true]\n`), ['f.yaml:7:9: spec.dns[0]: expected a string, got a boolean (quote it: "true")']],
    ['spec.dnsSearch must be a list', doc(`${img}  dnsSearch: example.org\n`), ['f.yaml:7:14: spec.dnsSearch: expected a list of strings, got a string (write a list: ["example.org"])']],
    // maps
    ['spec.environment values must be strings (numbers)', doc(`${img}  environment:\n    PORT: 8080\n`), ['f.yaml:8:11: spec.environment.PORT: expected a string, got a number (quote it: "8080")']],
    ['spec.environment values must be strings (booleans)', doc(`${img}  environment:\n    DEBUG: false\n`), ['f.yaml:8:12: spec.environment.DEBUG: expected a string, got a boolean (quote it: "false")']],
    ['spec.environment values must not be null', doc(`${img}  environment:\n    EMPTY:\n`), ['f.yaml:8:5: spec.environment.EMPTY: expected a string, got null (give it a value or remove the field)']],
    ['spec.environment must be a mapping', doc(`${img}  environment: [A=1]\n`), ['f.yaml:7:16: spec.environment: expected a mapping of strings, got a sequence']],
    ['spec.environment keys must be strings', doc(`${img}  environment:\n    1: a\n`), ['f.yaml:8:5: spec.environment: keys must be strings, got a number (quote it: "1")']],
    ['our ownership labels are reserved', doc(`${img}  labels:\n    rancher-reconciler.key: web-9\n`), ['f.yaml:8:5: spec.labels["rancher-reconciler.key"]: "rancher-reconciler.key" is reserved: the controller sets rancher-reconciler.* labels on what it creates']],
    ['sensitiveEnvironment must be a list of strings', doc(`${img}  sensitiveEnvironment: DB_URL\n`), ['f.yaml:7:25: spec.sensitiveEnvironment: expected a list of strings, got a string (write a list: ["DB_URL"])']],
    ['spec.labels keys with dots are bracketed in the path', doc(`${img}  labels:\n    io.rancher.x: 1\n`), ['f.yaml:8:19: spec.labels["io.rancher.x"]: expected a string, got a number (quote it: "1")']],
    ['duplicate keys in a mapping are errors', doc(`${img}  environment:\n    A: "1"\n    A: "2"\n`), ['f.yaml:9:5: spec.environment.A: duplicate key (first at 8:5)']],
    // strings with minLength
    ['spec.hostname must not be empty', doc(`${img}  hostname: ""\n`), ['f.yaml:7:13: spec.hostname: must not be empty']],
    ['spec.hostname is at most 255 characters', doc(`${img}  hostname: ${'h'.repeat(256)}\n`), ['f.yaml:7:13: spec.hostname: must be at most 255 characters, got 256']],
    ['spec.user must be a string', doc(`${img}  user: 1000\n`), ['f.yaml:7:9: spec.user: expected a string, got a number (quote it: "1000")']],
    ['spec.workingDir must not be empty', doc(`${img}  workingDir: ''\n`), ['f.yaml:7:15: spec.workingDir: must not be empty']],
    // enums and ids
    ['spec.networkMode is an enum (with a hint)', doc(`${img}  networkMode: Host\n`), ['f.yaml:7:16: spec.networkMode: expected one of none, bridge, host, managed, container, got "Host" (did you mean "host"?)']],
    ['spec.networkMode must be a string', doc(`${img}  networkMode: 1\n`), ['f.yaml:7:16: spec.networkMode: expected one of none, bridge, host, managed, container, got a number']],
    ['spec.requestedHostId looks like 1h1', doc(`${img}  requestedHostId: host-1\n`), ['f.yaml:7:20: spec.requestedHostId: must be a Rancher host id like "1h1", got "host-1"']],
    ['spec.requestedHostId must be a string', doc(`${img}  requestedHostId: 1\n`), ['f.yaml:7:20: spec.requestedHostId: expected a string, got a number (quote it: "1")']],
    // restartPolicy
    ['spec.restartPolicy must be a mapping', doc(`${img}  restartPolicy: always\n`), ['f.yaml:7:18: spec.restartPolicy: expected a mapping, got a string']],
    ['spec.restartPolicy.name is required', doc(`${img}  restartPolicy: {maximumRetryCount: 3}\n`), ['f.yaml:7:3: spec.restartPolicy.name: required field is missing']],
    ['spec.restartPolicy.name is an enum', doc(`${img}  restartPolicy: {name: never}\n`), ['f.yaml:7:25: spec.restartPolicy.name: expected one of no, always, on-failure, got "never"']],
    ['spec.restartPolicy.maximumRetryCount is >= 0', doc(`${img}  restartPolicy: {name: on-failure, maximumRetryCount: -1}\n`), ['f.yaml:7:56: spec.restartPolicy.maximumRetryCount: must be >= 0, got -1']],
    ['spec.restartPolicy has no other field', doc(`${img}  restartPolicy: {name: always, retries: 1}\n`), ['f.yaml:7:33: spec.restartPolicy.retries: unknown field']],
    // booleans and integers
    ['spec.privileged must be a boolean, not a quoted one', doc(`${img}  privileged: "true"\n`), ['f.yaml:7:15: spec.privileged: expected a boolean, got a string (write true or false, unquoted)']],
    ['spec.tty must be a boolean', doc(`${img}  tty: 1\n`), ['f.yaml:7:8: spec.tty: expected a boolean, got a number']],
    ['spec.stdinOpen: YAML 1.1 "yes" is a string', doc(`${img}  stdinOpen: yes\n`), ['f.yaml:7:14: spec.stdinOpen: expected a boolean, got a string (write true or false, unquoted)']],
    ['spec.memory must be an integer', doc(`${img}  memory: 1.5\n`), ['f.yaml:7:11: spec.memory: expected an integer, got 1.5']],
    ['spec.memory quoted digits get a hint', doc(`${img}  memory: "512"\n`), ['f.yaml:7:11: spec.memory: expected an integer, got a string (remove the quotes)']],
    ['spec.cpuShares is >= 0', doc(`${img}  cpuShares: -5\n`), ['f.yaml:7:14: spec.cpuShares: must be >= 0, got -5']],
    // controller fields
    ['spec.state is running or stopped', doc(`${img}  state: Running\n`), ['f.yaml:7:10: spec.state: expected one of running, stopped, got "Running" (did you mean "running"?)']],
    ['spec.restartToken must be a string (quote numbers)', doc(`${img}  restartToken: 3\n`), ['f.yaml:7:17: spec.restartToken: expected a string, got a number (quote it: "3")']],
    ['spec.restartToken must not be empty', doc(`${img}  restartToken: ""\n`), ['f.yaml:7:17: spec.restartToken: must not be empty']],
    ['spec.stopTimeout is at most 3600', doc(`${img}  stopTimeout: 3601\n`), ['f.yaml:7:16: spec.stopTimeout: must be between 0 and 3600, got 3601']],
    ['spec.stopTimeout is at least 0', doc(`${img}  stopTimeout: -1\n`), ['f.yaml:7:16: spec.stopTimeout: must be between 0 and 3600, got -1']],
    ['spec.onImmutableChange is block, recreate or replace', doc(`${img}  onImmutableChange: rolling\n`), ['f.yaml:7:22: spec.onImmutableChange: expected one of block, recreate, replace, got "rolling"']],
    // unknown fields
    ['unknown spec fields are errors with a hint', doc(`${img}  enviroment: {}\n`), ['f.yaml:7:3: spec.enviroment: unknown field (did you mean "environment"?)']],
    ['unknown top-level fields are errors', `${doc(img)}status: {}\n`, ['f.yaml:7:1: status: unknown field']],
    ['Object.prototype member names are unknown fields, not crashes (valueOf)', doc(`${img}  valueOf: 1\n`), ['f.yaml:7:3: spec.valueOf: unknown field']],
    ['Object.prototype member names are unknown fields (__proto__ at the top level)', `${doc(img)}__proto__: 1\n`, ['f.yaml:7:1: __proto__: unknown field']],
    ['Object.prototype member names are unknown fields (constructor in restartPolicy)', doc(`${img}  restartPolicy: {name: always, constructor: 1}\n`), ['f.yaml:7:33: spec.restartPolicy.constructor: unknown field']],
    ['unknown metadata fields are errors', doc(img).replace('  name: web-1\n', '  name: web-1\n  labels: {}\n'), ['f.yaml:5:3: metadata.labels: unknown field']],
    // the document
    ['apiVersion is required', doc(img).replace('apiVersion: rancher-reconciler/v1\n', ''), ['f.yaml:1:1: apiVersion: required field is missing']],
    ['apiVersion must be rancher-reconciler/v1', doc(img).replace('rancher-reconciler/v1', 'rancher-reconciler/v2'), ['f.yaml:1:13: apiVersion: expected "rancher-reconciler/v1", got "rancher-reconciler/v2"']],
    ['kind must be Instance', doc(img).replace('kind: Instance', 'kind: 7'), ['f.yaml:2:7: kind: expected "Instance", got a number']],
    ['metadata must be a mapping', doc(img).replace('metadata:\n  name: web-1\n', 'metadata: web-1\n'), ['f.yaml:3:11: metadata: expected a mapping, got a string']],
    ['metadata.name is required', doc(img).replace('  name: web-1\n', '  {}\n'), ['f.yaml:3:1: metadata.name: required field is missing']],
    ['metadata.name follows the name rule', doc(img).replace('name: web-1', 'name: -web'), ["f.yaml:4:9: metadata.name: must start with a letter or digit and contain only letters, digits, '_', '.' and '-' (at most 255 characters), got \"-web\""]],
    ['metadata.name is at most 255 characters', doc(img).replace('name: web-1', `name: ${'w'.repeat(256)}`), [`f.yaml:4:9: metadata.name: must start with a letter or digit and contain only letters, digits, '_', '.' and '-' (at most 255 characters), got "${'w'.repeat(256)}"`]],
    ['spec must be a mapping', doc('  web\n'), ['f.yaml:6:3: spec: expected a mapping, got a string']],
    ['a document must be a mapping', 'just text\n', ['f.yaml:1:1: expected a mapping (an Instance document), got a string']],
    ['every problem of a document is reported at once', doc('  imageUuid: nginx\n  tty: "no"\n  bogus: 1\n'), [
      'f.yaml:6:14: spec.imageUuid: must start with "docker:" (did you mean "docker:nginx"?)',
      'f.yaml:7:8: spec.tty: expected a boolean, got a string (write true or false, unquoted)',
      'f.yaml:8:3: spec.bogus: unknown field',
    ]],
    // the file
    ['an empty file is an error', '', ['f.yaml:1:1: file has no documents (empty or truncated?)']],
    ['a file of comments and separators is an error', '# nothing\n---\n---\n', ['f.yaml:1:1: file has no documents (empty or truncated?)']],
    ['an empty document between separators is skipped', `---\n---\n${doc(img)}`, []],
    ['a NUL byte makes a file binary', 'a: 1\nb: \0\n', ['f.yaml:2:4: binary file: contains a NUL byte']],
    ['tabs as indentation are YAML errors', doc('\timageUuid: docker:a\n'), ['f.yaml:6:1: invalid YAML: Tabs are not allowed as indentation']],
    ['unknown tags are errors', doc('  imageUuid: !img docker:a\n'), ['f.yaml:6:14: invalid YAML: Unresolved tag: !img']],
    ['a name declared twice in one file names the first place', `${doc(img)}---\n${doc(img)}`, ['f.yaml:11:9: metadata.name: "web-1" is also declared at f.yaml:4:9']],
    ['each invalid document of a file is reported', `${doc('  tty: 1\n')}---\n${doc(`${img}  tty: 2\n`)}`, [
      'f.yaml:5:1: spec.imageUuid: required field is missing',
      'f.yaml:6:8: spec.tty: expected a boolean, got a number',
      'f.yaml:14:8: spec.tty: expected a boolean, got a number',
    ]],
    // aliases
    ['an alias bomb is refused', 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', ['f.yaml:1:1: too many alias expansions (over 100): refusing a possible alias bomb']],
    ['anchors do not cross documents', `${doc(`${img}  labels: &x {a: "1"}\n`)}---\n${doc(`${img}  labels: *x\n`).replace('web-1', 'web-2')}`, ['f.yaml:15:11: spec.labels: alias *x has no anchor before it in this document (anchors do not cross ---)']],
    ['an alias inside its own anchor is refused', doc('  &s\n  imageUuid: docker:a\n  labels: *s\n'), ['f.yaml:8:11: spec.labels: alias *s refers to a node that contains it']],
    ['a merge key needs a mapping', doc(`${img}  labels:\n    <<: [a]\n`), ['f.yaml:8:5: spec.labels: a merge key (<<) needs a mapping, got a string']],
  ])('%s', (_rule, text, expected) => {
    expect(issuesOf(text)).toEqual(expected);
  });
});

describe('parseManifestFile: normalisation', () => {
  it('applies the defaults and declares nothing else', () => {
    const { instances, issues } = parseManifestFile(doc(img), 'apps/web.yaml');
    expect(issues).toEqual([]);
    expect(instances).toEqual([
      {
        key: 'web-1',
        spec: { name: 'web-1', imageUuid: 'docker:nginx:1.25' },
        state: 'running',
        onImmutableChange: 'block',
        source: { file: 'apps/web.yaml', line: 4, col: 9 },
      },
    ]);
  });

  it('keeps every declared field, sorts map keys and resolves anchors and merge keys', () => {
    const text = doc(`${img}  name: web
  description: front
  command: &cmd [nginx, -g, "daemon off;"]
  entryPoint: *cmd
  environment:
    <<: {Z: "1", A: "base"}
    A: own
  labels: {b: "2", a: "1"}
  ports: ["80:80/tcp"]
  expose: ["81"]
  dns: [8.8.8.8]
  dnsSearch: [example.org]
  hostname: h
  user: u
  workingDir: /w
  networkMode: bridge
  requestedHostId: 1h2
  restartPolicy: {name: on-failure, maximumRetryCount: 2}
  privileged: true
  tty: false
  stdinOpen: true
  memory: 0
  cpuShares: 1024
  state: stopped
  restartToken: "7"
  stopTimeout: 0
  onImmutableChange: recreate
`);
    const { instances, issues } = parseManifestFile(text, 'f.yaml');
    expect(issues).toEqual([]);
    expect(instances[0]).toEqual({
      key: 'web-1',
      spec: {
        name: 'web',
        description: 'front',
        imageUuid: 'docker:nginx:1.25',
        command: ['nginx', '-g', 'daemon off;'],
        entryPoint: ['nginx', '-g', 'daemon off;'],
        environment: { A: 'own', Z: '1' },
        labels: { a: '1', b: '2' },
        ports: ['80:80/tcp'],
        expose: ['81'],
        dns: ['8.8.8.8'],
        dnsSearch: ['example.org'],
        hostname: 'h',
        user: 'u',
        workingDir: '/w',
        networkMode: 'bridge',
        requestedHostId: '1h2',
        restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
        privileged: true,
        tty: false,
        stdinOpen: true,
        memory: 0,
        cpuShares: 1024,
      },
      state: 'stopped',
      restartToken: '7',
      stopTimeout: 0,
      onImmutableChange: 'recreate',
      source: { file: 'f.yaml', line: 4, col: 9 },
    });
    expect(Object.keys(instances[0]?.spec.environment ?? {})).toEqual(['A', 'Z']);
    expect(Object.isFrozen(instances[0]?.spec)).toBe(true);
  });

  it('returns the valid documents of a file that has issues, for callers to ignore', () => {
    const text = `${doc(img)}---\n${doc('  imageUuid: bad\n').replace('web-1', 'web-2')}`;
    const result = parseManifestFile(text, 'f.yaml');
    expect(result.instances.map((instance) => instance.key)).toEqual(['web-1']);
    expect(result.issues).toHaveLength(1);
  });
});
