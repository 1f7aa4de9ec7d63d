/**
 * A container's relation links (`GET /v1/containers/<id>/hosts`) and `include=<link>` on container
 * answers (docs/rancher-v1.md#relation-links). Only `hosts` is modelled: the host the container was
 * placed on, none before placement. The other relations the schema declares answer the emulator's
 * NotEmulated extension error; a name the schema does not declare is 404 as in Rancher.
 */
import { ApiFailure } from './api-failure.js';
import { collectionEnvelope } from './collection.js';
import type { ApiRequest, ApiResponse } from './container-routes.js';
import { parseCollectionQuery } from './filters.js';
import { formatId } from './format.js';
import { notEmulated } from './not-emulated.js';
import { renderHost } from './render.js';
import type { SchemaRegistry } from './schemas.js';
import type { EmulatorStore, InstanceRecord } from './store.js';

/** Dependencies of the relation-link answers. */
export type RelationDeps = Readonly<{ schemas: SchemaRegistry; store: EmulatorStore }>;

/** Links a container renders that are not includeable (metrics streams), lower-cased. */
const statsLinks = ['stats', 'containerstats'];

/** Whether the container schema declares a relation named `link` (lower-cased, as URLs are). */
function isDeclared(schemas: SchemaRegistry, link: string): boolean {
  return (schemas.require('container').includeableLinks ?? []).includes(link) || statsLinks.includes(link);
}

/** The rendered hosts a container is mapped to: its placement host, or none yet. */
function hostsOf(deps: RelationDeps, record: InstanceRecord, request: ApiRequest): Record<string, unknown>[] {
  const host = record.hostId === null ? undefined : deps.store.hosts.find((candidate) => candidate.id === record.hostId);
  return host ? [renderHost(deps.schemas, host, request.scope)] : [];
}

/** Answers `<verb> /v1/containers/<id>/<link>` (`rest` is what follows the id) or throws an ApiFailure. */
export function containerLink(deps: RelationDeps, request: ApiRequest, record: InstanceRecord, rest: readonly string[]): ApiResponse {
  const link = (rest[0] ?? '').toLowerCase();
  if (rest.length !== 1 || !isDeclared(deps.schemas, link)) throw ApiFailure.status(404);
  if (request.method !== 'GET') throw ApiFailure.status(405);
  if (link !== 'hosts') throw notEmulated(`the ${link} link of a container`);
  const hosts = hostsOf(deps, record, request);
  const self = `${request.scope.apiBase}/containers/${formatId('i', record.id)}/hosts`;
  return {
    status: 200,
    body: collectionEnvelope(deps.schemas, {
      resourceType: 'host', collectionUrl: self, url: request.url, createTypes: {}, data: hosts,
      query: parseCollectionQuery(deps.schemas, 'host', new URLSearchParams()), partial: false,
    }),
  };
}

/**
 * Adds the `include=` relation to a rendered container, as a list under the link's name (CAT-T
 * `test_api.py::test_child_map_include` reads `c.hosts[0].uuid`). Only the first `include` counts, and a
 * name the schema does not declare is ignored, as in Rancher.
 */
export function withInclude(deps: RelationDeps, request: ApiRequest, record: InstanceRecord, body: Record<string, unknown>): Record<string, unknown> {
  const include = request.url.searchParams.get('include')?.toLowerCase();
  if (include === undefined || !(deps.schemas.require('container').includeableLinks ?? []).includes(include)) return body;
  if (include !== 'hosts') throw notEmulated(`include=${include} on containers`);
  return { ...body, hosts: hostsOf(deps, record, request) };
}
