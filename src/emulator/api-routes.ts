import { ApiFailure } from './api-failure.js';
import { collectionEnvelope } from './collection.js';
import type { ApiRequest, ApiResponse, ContainerRoutes } from './container-routes.js';
import { matchesCondition, parseCollectionQuery } from './filters.js';
import { parseId } from './format.js';
import { notEmulated } from './not-emulated.js';
import type { ProjectRoutes } from './project-routes.js';
import { hostFieldValue, renderHost } from './render.js';
import type { SchemaRegistry } from './schemas.js';
import type { EmulatorStore } from './store.js';

/** Dependencies of {@link ApiRoutes}. */
export type ApiRoutesDeps = Readonly<{ schemas: SchemaRegistry; store: EmulatorStore; containers: ContainerRoutes; projects: ProjectRoutes }>;

/** Schemas whose collections `GET /v1` links to (the GET-able ones the emulator serves). */
const versionLinks = ['container', 'host', 'instance', 'schema', 'subscribe', 'virtualMachine'] as const;

/**
 * Dispatches a scoped API request: `GET /v1`, `/v1/schemas`, `/v1/hosts`, `/v1/projects`, and the
 * container/instance routes. Anything else is 404 `Not Found`; a known route with a method its schema lacks is 405.
 */
export class ApiRoutes {
  readonly #deps: ApiRoutesDeps;

  constructor(deps: ApiRoutesDeps) {
    this.#deps = deps;
  }

  /** Answers one request or throws an ApiFailure. */
  handle(request: ApiRequest): ApiResponse {
    const [type] = request.segments;
    switch (type) {
      case undefined:
      case '':
        return this.#version(request);
      case 'schemas':
        return this.#schemas(request);
      case 'hosts':
        return this.#hosts(request);
      case 'containers':
      case 'instances':
      case 'virtualmachines':
        return this.#deps.containers.handle(request);
      case 'projects':
        return this.#deps.projects.handle(request);
      case 'subscribe':
        // the subscription attaches only on a websocket upgrade, handled by the server's 'upgrade' event
        throw ApiFailure.status(400);
      default:
        // a type of the captured schemas that the emulator does not model: say so (never a fake list)
        if (type !== undefined && this.#deps.schemas.forCollection(type)) throw notEmulated(`/v1/${type}`);
        throw ApiFailure.status(404);
    }
  }

  #version(request: ApiRequest): ApiResponse {
    if (request.method !== 'GET') throw ApiFailure.status(405);
    const base = request.scope.apiBase;
    const links: Record<string, string> = { self: base };
    for (const id of versionLinks) {
      const schema = this.#deps.schemas.require(id);
      links[schema.pluralName] = `${base}/${schema.pluralName.toLowerCase()}`;
    }
    return { status: 200, body: { id: 'v1', type: 'apiVersion', links, actions: {} } };
  }

  #schemas(request: ApiRequest): ApiResponse {
    if (request.method !== 'GET') throw ApiFailure.status(405);
    const [, id, ...rest] = request.segments;
    const base = request.scope.apiBase;
    if (id === undefined || id === '') return { status: 200, body: this.#deps.schemas.collectionJson(base) };
    const text = rest.length === 0 ? this.#deps.schemas.schemaJson(id, base) : undefined;
    if (text === undefined) throw ApiFailure.status(404);
    return { status: 200, body: text };
  }

  #hosts(request: ApiRequest): ApiResponse {
    const [, id, ...rest] = request.segments;
    const { schemas, store } = this.#deps;
    if (id === undefined || id === '') {
      if (request.method !== 'GET') throw ApiFailure.status(405);
      const query = parseCollectionQuery(schemas, 'host', request.url.searchParams);
      const fields = schemas.require('host').resourceFields;
      const matching = store.hosts.filter((host) => [...query.conditions].every(([field, conditions]) => conditions.every((condition) =>
        matchesCondition(field, fields[field]?.type ?? 'string', hostFieldValue(host, field, request.scope.projectId), condition))));
      const hosts = matching.slice(query.offset, query.offset + query.limit);
      return {
        status: 200,
        body: collectionEnvelope(schemas, {
          resourceType: 'host', collectionUrl: `${request.scope.apiBase}/hosts`, url: request.url, createTypes: {},
          data: hosts.map((host) => renderHost(schemas, host, request.scope)), query,
          partial: matching.length > query.offset + query.limit,
        }),
      };
    }
    const numeric = parseId('h', id);
    const host = store.hosts.find((candidate) => candidate.id === numeric);
    if (!host || rest.length > 0) throw ApiFailure.status(404);
    const body = renderHost(schemas, host, request.scope);
    if (request.method === 'GET' || request.method === 'PUT') return { status: 200, body };
    if (request.method === 'POST' && request.action !== undefined) {
      if (!Object.hasOwn(schemas.require('host').resourceActions, request.action)) {
        throw ApiFailure.validation('InvalidAction', 'action');
      }
      if (!Object.hasOwn(body['actions'] as object, request.action)) throw ApiFailure.validation('ActionNotAvailable', 'action');
      // host processes are not simulated: an offered action is accepted and changes nothing
      return { status: 202, body };
    }
    // DELETE of an active host: the remove process cannot start from `active`
    throw ApiFailure.status(405);
  }
}
