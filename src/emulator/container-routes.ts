import type { Clock } from '../clock.js';
import { ApiFailure } from './api-failure.js';
import { collectionEnvelope, queryInstances } from './collection.js';
import { createRecords } from './container-create.js';
import { parseCollectionQuery } from './filters.js';
import { parseId } from './format.js';
import type { InstanceLifecycle } from './lifecycle.js';
import { containerLink, withInclude } from './relation-links.js';
import { renderInstance } from './render.js';
import type { SchemaRegistry } from './schemas.js';
import type { RequestScope } from './scope.js';
import { deleteFor, transitionFor } from './state-machine.js';
import type { EmulatorStore, InstanceRecord, ProjectStore } from './store.js';
import { hostAccessBody, isHostAccessAction } from './tokens-host-access.js';
import type { HostAccessTokens } from './tokens.js';
import { validateCreate, validateUpdate, type JsonBody } from './validation.js';
import { capabilitiesOf, instanceCollectionOf, withKindCriterion, type InstanceCollection } from './virtual-machine.js';

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
  tokens: HostAccessTokens;
  onChange: (record: InstanceRecord) => void;
  /** The uuid of a project by id, for the `io.rancher.environment.uuid` label. */
  projectUuid: (projectId: string) => string | undefined;
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
 * `/v1/containers`, `/v1/virtualmachines` and `/v1/instances`: list, create, get, PUT, DELETE and actions,
 * with the state machine's availability rules and the real status codes (201 create, 202 action, 200
 * PUT/DELETE). A kind's collection lists and finds only that kind; `/v1/instances` sees both.
 */
export class ContainerRoutes {
  readonly #deps: ContainerRoutesDeps;

  constructor(deps: ContainerRoutesDeps) {
    this.#deps = deps;
  }

  /** Handles a request whose first segment is `containers`, `virtualmachines` or `instances`. */
  handle(request: ApiRequest): ApiResponse {
    const [type, id, ...rest] = request.segments;
    const collection = instanceCollectionOf(type);
    if (!collection) throw ApiFailure.status(404);
    const isInstances = collection.kind === undefined;
    const project = this.#project(request);
    if (id === undefined || id === '') return this.#collection(request, project, collection);
    const record = this.#find(project, id, collection);
    if (rest.length > 0) return containerLink(this.#deps, request, record, rest);
    if (request.method === 'POST' && request.action !== undefined) return this.#action(request, record);
    if (request.method === 'GET') return { status: 200, body: this.#rendered(record, request) };
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

  #find(project: ProjectStore, id: string, collection: InstanceCollection): InstanceRecord {
    const numeric = parseId('i', id);
    const record = numeric === undefined ? undefined : project.get(numeric);
    // the kind criterion applies by id too: a virtual machine's id under /containers is not found
    if (!record || (collection.kind !== undefined && record.kind !== collection.kind)) throw ApiFailure.status(404);
    return record;
  }

  #ok(status: number, record: InstanceRecord, request: ApiRequest): ApiResponse {
    return { status, body: renderInstance(this.#deps.schemas, record, request.scope) };
  }

  /** A record as a GET shows it: rendered, plus its `include=` relation. */
  #rendered(record: InstanceRecord, request: ApiRequest): Record<string, unknown> {
    return withInclude(this.#deps, request, record, renderInstance(this.#deps.schemas, record, request.scope));
  }

  #collection(request: ApiRequest, project: ProjectStore, collection: InstanceCollection): ApiResponse {
    if (request.action !== undefined && request.method === 'POST') {
      throw ApiFailure.validation('InvalidAction', 'action');
    }
    if (request.method === 'POST' && collection.kind !== undefined) return this.#create(request, project, collection.kind);
    if (request.method !== 'GET') throw ApiFailure.status(405);
    const { typeId } = collection;
    const { schemas } = this.#deps;
    const query = parseCollectionQuery(schemas, typeId, request.url.searchParams);
    const page = queryInstances(schemas, typeId, project, withKindCriterion(query, collection.kind));
    const base = request.scope.apiBase;
    return {
      status: 200,
      body: collectionEnvelope(schemas, {
        resourceType: typeId,
        collectionUrl: `${base}/${collection.segment}`,
        url: request.url,
        createTypes: createTypes(base),
        data: page.items.map((record) => this.#rendered(record, request)),
        query,
        partial: page.partial,
      }),
    };
  }

  #create(request: ApiRequest, project: ProjectStore, kind: InstanceRecord['kind']): ApiResponse {
    const fields = validateCreate(this.#deps.schemas, kind, request.body);
    if (fields['imageUuid'] === undefined || fields['imageUuid'] === null) {
      throw ApiFailure.validation('MissingRequired', 'imageUuid', 'image is required, but not specified');
    }
    const requestedHost = fields['requestedHostId'];
    if (requestedHost !== undefined && requestedHost !== null
      && !this.#deps.store.hosts.some((host) => `1h${host.id}` === requestedHost)) {
      throw ApiFailure.validation('InvalidReference', 'requestedHostId');
    }
    const records = createRecords(this.#deps, request.scope.projectId, kind, fields);
    for (const record of records) {
      project.add(record);
      const result = transitionFor('requested', 'create', { startOnCreate: record.fields['startOnCreate'] !== false });
      if (result.kind === 'process') this.#deps.lifecycle.run(record, result.transition);
    }
    const [first] = records;
    if (records.length === 1 && first) return this.#ok(201, first, request);
    return this.#createdList(request, kind, records);
  }

  /** `count > 1`: cattle's InstanceManager returns the list, which gdapi renders as a collection. */
  #createdList(request: ApiRequest, kind: InstanceRecord['kind'], records: readonly InstanceRecord[]): ApiResponse {
    const { schemas } = this.#deps;
    const base = request.scope.apiBase;
    return {
      status: 201,
      body: collectionEnvelope(schemas, {
        resourceType: kind, collectionUrl: `${base}/${schemas.require(kind).pluralName.toLowerCase()}`, url: request.url,
        createTypes: createTypes(base), data: records.map((record) => renderInstance(schemas, record, request.scope)),
        query: parseCollectionQuery(schemas, kind, new URLSearchParams()), partial: false,
      }),
    };
  }

  #update(request: ApiRequest, project: ProjectStore, record: InstanceRecord): ApiResponse {
    const changes = validateUpdate(this.#deps.schemas, record.kind, request.body);
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
    const result = transitionFor(record.state, action, { remove: input['remove'] === true, capabilities: capabilitiesOf(record.kind) });
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

  /** logs/execute/proxy/console answer a hostAccess (docs/rancher-v1.md#host-access-tokens); setlabels replaces the labels. */
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
    if (!isHostAccessAction(action)) throw ApiFailure.validation('InvalidAction', 'action');
    return { status: 200, body: hostAccessBody(this.#deps, action, record, request.body, request.scope.apiBase) };
  }
}
