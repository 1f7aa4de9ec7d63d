import { readFileSync } from 'node:fs';
import { describe, expect, it, test } from '@jest/globals';
import { createOnlyFields } from '../../../src/domain/instance.js';
import { parseCollection, parseErrorBody, toCreateBody, toLiveInstance, toStopBody, toUpdateBody, type WireContainer } from '../../../src/rancher/wire.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/rancher/${name}`, import.meta.url), 'utf8'));
const list = fixture('libcloud-v1-list_containers.json') as { data: WireContainer[] };
const [stopped, running] = list.data as [WireContainer, WireContainer];
const removedAdmin = fixture('cattle-v1-roundtrip_container-removed-admin.json') as WireContainer;
const starting = fixture('libcloud-v1-start_container.json') as WireContainer;

describe('toLiveInstance with captured Rancher JSON', () => {
  it('maps a captured stopped container', () => {
    const live = toLiveInstance(stopped);
    expect(live).toMatchObject({
      id: '1i1',
      uuid: 'a1140e7c-9260-423e-a7d0-8f5f7bb8e946',
      name: 'Concrete5_CMSMysql_1',
      description: null,
      state: 'stopped',
      transitioning: 'no',
      transitioningMessage: null,
      hostId: '1h1',
      externalId: '957136960bd1b51acf5a6c0079d0e35b8d5c14f54722a3063ceb868e85fd3758',
      removed: false,
      createdMs: 1474567135000,
    });
    expect([...live.actions].sort()).toEqual(['error', 'logs', 'remove', 'setlabels', 'start', 'update']);
  });

  test.each<[string, WireContainer, Partial<Record<string, unknown>>]>([
    ['a running container offers stop and restart, not start', running, { id: '1i2', state: 'running', removed: false }],
    ['a removed container has removed=true (removed date set)', removedAdmin, { id: '1i1', state: 'removed', removed: true, transitioning: 'error' }],
    ['a transitioning container keeps transitioning=yes', starting, { id: '1i31', state: 'starting', transitioning: 'yes' }],
  ])('%s', (_rule, wire, expected) => {
    expect(toLiveInstance(wire)).toMatchObject(expected);
  });

  it('lists the running action set from the actions map', () => {
    expect([...toLiveInstance(running).actions].sort()).toEqual(['execute', 'logs', 'migrate', 'proxy', 'restart', 'setlabels', 'stop', 'update']);
  });

  it('keeps every create-only field exactly as echoed, null when unset', () => {
    const live = toLiveInstance(removedAdmin);
    expect(Object.keys(live.fields).sort()).toEqual([...createOnlyFields].sort());
    expect(live.fields.command).toEqual(['echo', 'yo']);
    expect(live.fields.cpuShares).toBe(1024);
    expect(live.fields.networkMode).toBe('bridge');
    expect(live.fields.memory).toBeNull();
    expect(toLiveInstance(stopped).fields.environment).toEqual((stopped as Record<string, unknown>)['environment']);
  });

  test.each<[string, Record<string, unknown>, Partial<Record<string, unknown>>]>([
    ['created date is used when createdTS is missing', { id: '1i9', created: '2016-10-06T15:55:58Z' }, { createdMs: 1475769358000 }],
    ['no created date gives createdMs null', { id: '1i9' }, { createdMs: null, state: 'unknown', transitioning: 'no', removed: false }],
    ['an unknown transitioning value reads as no', { id: '1i9', transitioning: 'maybe' }, { transitioning: 'no' }],
    ['actionLinks (X-API-Action-Links) are read like actions', { id: '1i9', actionLinks: { start: 'x' } }, { actions: new Set(['start']) }],
  ])('%s', (_rule, wire, expected) => {
    expect(toLiveInstance(wire as WireContainer)).toMatchObject(expected);
  });
});

describe('request bodies', () => {
  test.each<[string, boolean]>([
    ['startOnCreate true is sent explicitly', true],
    ['startOnCreate false is sent explicitly', false],
  ])('%s', (_rule, startOnCreate) => {
    const body = toCreateBody({ name: 'web-1', imageUuid: 'docker:nginx', command: ['a'], environment: { A: '1' } }, { startOnCreate });
    expect(body).toEqual({ name: 'web-1', imageUuid: 'docker:nginx', command: ['a'], environment: { A: '1' }, startOnCreate });
  });

  test.each<[string, Parameters<typeof toUpdateBody>[0], Record<string, unknown>]>([
    ['update sends only name', { name: 'a' }, { name: 'a' }],
    ['update sends only description', { description: 'd' }, { description: 'd' }],
    ['update sends both', { name: 'a', description: '' }, { name: 'a', description: '' }],
  ])('%s', (_rule, changes, expected) => expect(toUpdateBody(changes)).toEqual(expected));

  test.each<[string, Parameters<typeof toStopBody>[0], Record<string, unknown>]>([
    ['stop without options sends an empty input', {}, {}],
    ['stop with remove and timeout sends both', { remove: true, timeout: 0 }, { remove: true, timeout: 0 }],
  ])('%s', (_rule, options, expected) => expect(toStopBody(options)).toEqual(expected));
});

describe('parseCollection', () => {
  it('reads the captured collection with its next link', () => {
    const parsed = parseCollection(list);
    expect(parsed?.items.map((item) => item.id)).toEqual(['1i1', '1i2']);
    expect(parsed?.next).toBe('http://172.30.0.100:8080/v1/containers?limit=2&marker=m2');
  });

  test.each<[string, unknown, boolean]>([
    ['a body without data is invalid', { type: 'collection' }, false],
    ['a last page has no next', { data: [], pagination: { next: null } }, true],
  ])('%s', (_rule, body, valid) => {
    const parsed = parseCollection(body);
    expect(parsed !== undefined).toBe(valid);
    if (parsed) expect(parsed.next).toBeUndefined();
  });
});

describe('parseErrorBody', () => {
  test.each<[string, string, Record<string, unknown>]>([
    ['a validation error carries code and fieldName', '{"type":"error","status":422,"code":"MissingRequired","fieldName":"imageUuid","message":null,"detail":null}', { code: 'MissingRequired', fieldName: 'imageUuid' }],
    ['a 401 body carries code and message', '{"id":"x","type":"error","links":{},"actions":{},"status":401,"code":"Unauthorized","message":"Unauthorized","detail":null}', { code: 'Unauthorized', message: 'Unauthorized' }],
    ['a status-only 405 keeps its phrase', '{"type":"error","status":405,"code":"Method not allowed","message":"Method not allowed"}', { code: 'Method not allowed', message: 'Method not allowed' }],
    ['a proxy HTML page gives nothing', '<html>502 Bad Gateway</html>', {}],
    ['a JSON array gives nothing', '[1]', {}],
  ])('%s', (_rule, text, expected) => expect(parseErrorBody(text)).toEqual(expected));
});
