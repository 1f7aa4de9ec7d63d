/**
 * `GET /v1/projects` and `GET /v1/projects/<id>`: the environments (projects) the emulator serves, in
 * the shape of the captured `project` schema (docs/rancher-v1.md#environment-urls-and-keys). Clients
 * look an environment up by name here (the Rancher CLI does, and so does `--environment`).
 */
import { createHash } from 'node:crypto';
import { ApiFailure } from './api-failure.js';
import type { ApiRequest, ApiResponse } from './container-routes.js';
import { collectionEnvelope } from './collection.js';
import { matchesCondition, parseCollectionQuery } from './filters.js';
import { formatDate } from './format.js';
import type { SchemaRegistry } from './schemas.js';

/** One simulated environment. Projects are fixed at start: the emulator neither creates nor changes them. */
export type ProjectRecord = Readonly<{ id: string; name: string; uuid: string; created: number }>;

/**
 * The project records for the configured ids: names from `names` (id -> name), else `Default` for the
 * first project (the name of the environment a fresh Rancher server creates) and `Environment <id>` for
 * the others. `created` is epoch ms; the uuid is derived from the id, so it is stable across restarts.
 */
export function projectRecords(ids: readonly string[], names: Readonly<Record<string, string>>, created: number): ProjectRecord[] {
  return ids.map((id, index) => ({
    id,
    name: names[id] ?? (index === 0 ? 'Default' : `Environment ${id}`),
    uuid: uuidOf(id),
    created,
  }));
}

function uuidOf(id: string): string {
  const hex = createHash('sha256').update(`project:${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Collections of a project that the emulator serves under `/v1/projects/<id>/...`. */
const projectLinks = ['containers', 'hosts', 'instances'] as const;

/** Dependencies of {@link ProjectRoutes}. */
export type ProjectRoutesDeps = Readonly<{ schemas: SchemaRegistry; projects: readonly ProjectRecord[] }>;

/**
 * Serves the project collection and resource. The captured user view allows GET only (the schema's
 * `resourceMethods` and `collectionMethods`), so anything else is 405; an unknown id is 404. Every
 * configured project is listed: the emulator's one key pair reaches all of them, as an account key
 * reaches the environments its user belongs to.
 */
export class ProjectRoutes {
  readonly #deps: ProjectRoutesDeps;

  constructor(deps: ProjectRoutesDeps) {
    this.#deps = deps;
  }

  /** Answers `request` (its segments start with `projects`) or throws an ApiFailure. */
  handle(request: ApiRequest): ApiResponse {
    const [, id, ...rest] = request.segments;
    if (request.method !== 'GET') throw ApiFailure.status(405);
    if (id === undefined || id === '') return this.#list(request);
    const project = this.#deps.projects.find((candidate) => candidate.id === id);
    if (!project || rest.length > 0) throw ApiFailure.status(404);
    return { status: 200, body: this.#render(project, request) };
  }

  #list(request: ApiRequest): ApiResponse {
    const { schemas, projects } = this.#deps;
    const query = parseCollectionQuery(schemas, 'project', request.url.searchParams);
    const fields = schemas.require('project').resourceFields;
    const matching = projects.filter((project) => [...query.conditions].every(([field, conditions]) => conditions.every((condition) =>
      matchesCondition(field, fields[field]?.type ?? 'string', fieldValue(project, field), condition))));
    const page = matching.slice(query.offset, query.offset + query.limit);
    return {
      status: 200,
      body: collectionEnvelope(schemas, {
        resourceType: 'project', collectionUrl: `${rootOf(request)}/projects`, url: request.url, createTypes: {},
        data: page.map((project) => this.#render(project, request)), query,
        partial: matching.length > query.offset + query.limit,
      }),
    };
  }

  /** A project as `GET /v1/projects/<id>` returns it: always `active`, links to its scoped collections. */
  #render(project: ProjectRecord, request: ApiRequest): Record<string, unknown> {
    const { schemas } = this.#deps;
    const self = `${rootOf(request)}/projects/${project.id}`;
    const links: Record<string, string> = { self };
    for (const name of projectLinks) links[name] = `${self}/${name}`;
    const out: Record<string, unknown> = {
      id: project.id, type: 'project', links, actions: {}, baseType: 'account', name: project.name, state: 'active',
    };
    const schema = schemas.require('project');
    for (const field of schemas.renderFields('project')) {
      const value = fieldValue(project, field);
      const isDate = schema.resourceFields[field]?.type === 'date';
      out[field] = isDate && typeof value === 'number' ? formatDate(value) : value;
      if (isDate && typeof value === 'number') out[`${field}TS`] = value;
    }
    return out;
  }
}

/** `http://HOST:PORT/v1` (any `/projects/<id>` scope dropped): projects live at the API root. */
function rootOf(request: ApiRequest): string {
  return request.scope.apiBase.replace(/\/projects\/[^/]+$/, '');
}

/** The raw value of a project field, as filters compare it (dates as epoch ms). */
function fieldValue(project: ProjectRecord, field: string): unknown {
  switch (field) {
    case 'id': return project.id;
    case 'name': return project.name;
    case 'state': return 'active';
    case 'kind': return 'project';
    case 'uuid': return project.uuid;
    case 'created': return project.created;
    case 'transitioning': return 'no';
    case 'swarm':
    case 'kubernetes':
    case 'mesos':
    case 'virtualMachine':
    case 'publicDns':
      return false;
    case 'members': return [];
    default: return null;
  }
}
