import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ApiFailure } from './api-failure.js';
import { collectionEnvelope, queryInstances } from './collection.js';
import { parseCollectionQuery } from './filters.js';
import { parseId, toSeconds } from './format.js';
import type { InstanceLifecycle } from './lifecycle.js';
import { renderInstance } from './render.js';
import type { SchemaRegistry } from './schemas.js';
import type { RequestScope } from './scope.js';
import { deleteFor, transitionFor } from './state-machine.js';
import type { EmulatorStore, InstanceRecord, ProjectStore } from './store.js';
import { validateCreate, validateUpdate, type JsonBody } from './validation.js';

/** A routed API request: the scope is resolved and the body parsed. */
export type ApiRequest = Readonly<{
  method: string;
  /** The full request URL rebuilt on the scope's API base (used for sort/next links). */
  url: URL;
  /** Path segments after `/v1`: `['containers', '1i5']`. */
  segments: readonly string[];
  action: string | undefined;
  body: JsonBody;
  scope: RequestScope;
}>;

/** A response the server writes (or drops, for a drop-after fault). */
export type ApiResponse = Readonly<{ status: number; body: unknown; headers?: Readonly<Record<string, string>> }>;

/** Dependencies of {@link ContainerRoutes}. */
export type ContainerRoutesDeps = Readonly<{
  schemas: SchemaRegistry;
  store: EmulatorStore;
  lifecycle: InstanceLifecycle;
  clock: Clock;
  onChange: (record: InstanceRecord) => void;
}>;

/** `createTypes` of the container and instance collections (as captured for containers). */
function createTypes(apiBase: string): Record<string, string> {
  return {
    container: `${apiBase}/containers`,
    launchConfig: `${apiBase}/launchconfigs`,
    virtualMachine: `${apiBase}/virtualmachines`,
  };
}

/**
 * `/v1/containers` and `/v1/instances`: list, create, get, PUT, DELETE and actions, with the state
 * machine's availability rules and the real status codes (201 create, 202 action, 200 PUT/DELETE).
 */
export class ContainerRoutes {
  readonly #deps: ContainerRoutesDeps;

  constructor(deps: ContainerRoutesDeps) {
    this.#deps = deps;
  }

  /** Handles a request whose first segment is `containers` or `instances`. */
  handle(request: ApiRequest): ApiResponse {
    const [type, id, ...rest] = request.segments;
    const isInstances = type === 'instances';
    const project = this.#project(request);
    if (id === undefined || id === '') return this.#collection(request, project, isInstances);
    const record = this.#find(project, id);
    if (rest.length > 0) throw ApiFailure.status(404);
    if (request.method === 'POST' && request.action !== undefined) return this.#action(request, record);
    if (request.method === 'GET') return this.#ok(200, record, request);
    if (isInstances || request.method === 'POST') throw ApiFailure.status(405);
    if (request.method === 'PUT') return this.#update(request, project, record);
    if (request.method === 'DELETE') return this.#delete(request, record);
    throw ApiFailure.status(405);
  }

  #project(request: ApiRequest): ProjectStore {
    const project = this.#deps.store.project(request.scope.projectId);
    if (!project) throw ApiFailure.status(403);
    return project;
  }

  #find(project: ProjectStore, id: string): InstanceRecord {
    const numeric = parseId('i', id);
    const record = numeric === undefined ? undefined : project.get(numeric);
    if (!record) throw ApiFailure.status(404);
    return record;
  }

  #ok(status: number, record: InstanceRecord, request: ApiRequest): ApiResponse {
    return { status, body: renderInstance(this.#deps.schemas, record, request.scope) };
  }

  #collection(request: ApiRequest, project: ProjectStore, isInstances: boolean): ApiResponse {
    if (request.action !== undefined && request.method === 'POST') {
      throw ApiFailure.validation('InvalidAction', 'action');
    }
    if (request.method === 'POST' && !isInstances) return this.#create(request, project);
    if (request.method !== 'GET') throw ApiFailure.status(405);
    const typeId = isInstances ? 'instance' : 'container';
    const { schemas } = this.#deps;
    const query = parseCollectionQuery(schemas, typeId, request.url.searchParams);
    const page = queryInstances(schemas, typeId, project, query);
    const base = request.scope.apiBase;
    return {
      status: 200,
      body: collectionEnvelope(schemas, {
        resourceType: typeId,
        collectionUrl: `${base}/${isInstances ? 'instances' : 'containers'}`,
        url: request.url,
        createTypes: createTypes(base),
        data: page.items.map((record) => renderInstance(schemas, record, request.scope)),
        query,
        partial: page.partial,
      }),
    };
  }

  #create(request: ApiRequest, project: ProjectStore): ApiResponse {
    const fields = validateCreate(this.#deps.schemas, 'container', request.body);
    if (fields['imageUuid'] === undefined || fields['imageUuid'] === null) {
      throw ApiFailure.validation('MissingRequired', 'imageUuid', 'image is required, but not specified');
    }
    const requestedHost = fields['requestedHostId'];
    if (requestedHost !== undefined && requestedHost !== null
      && !this.#deps.store.hosts.some((host) => `1h${host.id}` === requestedHost)) {
      throw ApiFailure.validation('InvalidReference', 'requestedHostId');
    }
    const { name = null, description = null, count: _count, instanceLinks: _links, ...rest } = fields;
    const record: InstanceRecord = {
      id: this.#deps.store.nextInstanceId(),
      projectId: request.scope.projectId,
      uuid: randomUUID(),
      kind: 'container',
      created: toSeconds(this.#deps.clock.now()),
      createIndex: this.#deps.store.nextCreateIndex(),
      name: name as string | null,
      description: description as string | null,
      state: 'requested',
      transitioningError: false,
      transitioningMessage: null,
      hostId: null,
      externalId: null,
      primaryIpAddress: null,
      firstRunning: null,
      removed: null,
      startCount: 0,
      healthState: null,
      fields: rest,
    };
    project.add(record);
    const result = transitionFor('requested', 'create', { startOnCreate: rest['startOnCreate'] !== false });
    if (result.kind === 'process') this.#deps.lifecycle.run(record, result.transition);
    return this.#ok(201, record, request);
  }

  #update(request: ApiRequest, project: ProjectStore, record: InstanceRecord): ApiResponse {
    const changes = validateUpdate(this.#deps.schemas, 'container', request.body);
    if (Object.hasOwn(changes, 'name')) project.rename(record, changes['name'] as string | null);
    if (Object.hasOwn(changes, 'description')) record.description = changes['description'] as string | null;
    this.#deps.onChange(record);
    return this.#ok(200, record, request);
  }

  #delete(request: ApiRequest, record: InstanceRecord): ApiResponse {
    const plan = deleteFor(record.state);
    if (plan === 'refused') throw ApiFailure.status(405);
    if (plan !== 'already-removed') {
      const result = plan === 'remove'
        ? transitionFor(record.state, 'remove')
        : transitionFor(record.state, 'stop', { remove: true });
      if (result.kind === 'process') this.#deps.lifecycle.run(record, result.transition);
    }
    return this.#ok(200, record, request);
  }

  #action(request: ApiRequest, record: InstanceRecord): ApiResponse {
    const action = request.action ?? '';
    const input = action === 'stop' ? validateCreate(this.#deps.schemas, 'instanceStop', request.body) : {};
    const result = transitionFor(record.state, action, { remove: input['remove'] === true });
    switch (result.kind) {
      case 'invalid-action':
        throw ApiFailure.validation('InvalidAction', 'action');
      case 'not-available':
        throw ApiFailure.validation('ActionNotAvailable', 'action');
      case 'non-process':
        return this.#nonProcess(request, record, action);
      case 'process':
        this.#deps.lifecycle.run(record, result.transition);
        return this.#ok(202, record, request);
    }
  }

  /** logs/execute/proxy answer a hostAccess (docs/rancher-v1.md#actions-without-a-process); setlabels replaces the labels. */
  #nonProcess(request: ApiRequest, record: InstanceRecord, action: string): ApiResponse {
    if (action === 'setlabels') {
      const labels = request.body?.['labels'];
      if (labels !== undefined && (labels === null || typeof labels !== 'object' || Array.isArray(labels))) {
        throw ApiFailure.validation('InvalidFormat', 'labels');
      }
      record.fields['labels'] = labels ?? {};
      this.#deps.onChange(record);
      return this.#ok(200, record, request);
    }
    const wsBase = request.scope.apiBase.replace(/^http/, 'ws').replace(/\/projects\/[^/]+$/, '');
    return {
      status: 200,
      body: {
        id: null, type: 'hostAccess', links: {}, actions: {}, baseType: 'hostAccess',
        token: randomBytes(24).toString('base64url'), url: `${wsBase}/${action === 'logs' ? 'logs' : 'exec'}/`,
      },
    };
  }
}
