/**
 * One environment's leader election on etcd, done the way etcd's own `concurrency.Election` does it: a
 * candidate is a key under `<prefix>/env/<environment>/leader/`, named after and bound to the
 * candidate's etcd lease, created only if absent in a transaction; the leader is the key with the lowest
 * create revision, and that create revision is the epoch (the fencing token). It grows at every change
 * of holder and never goes back, since etcd's revisions only grow.
 *
 * Why not etcd3's `Election`/`Campaign`: the StateStore interface is polled (the elector calls
 * `tryAcquireOrRenew` every retry period and must learn at once that its lease is gone), and Campaign
 * hides its key's create revision (no epoch to fence with), renews its lease on its own timer, and
 * reports a lost lease only after twice the TTL without contact. So this uses etcd3's lease and txn
 * calls directly: every poll is one confirmed keepalive plus one read.
 *
 * Unlike etcd's election, candidates do not queue: a standby creates its key only when there is no
 * leader. A queued key would make its replica leader the moment the leader resigns, even when it has
 * stopped polling (it gave the environment up to spread the load), delaying the handover by its TTL.
 * Without a queue the next replica to poll after a resign takes over.
 */
import type { ICompare, IKeyValue } from 'etcd3';
import type { Logger } from '../logger.js';
import type { LeaseHolder, LeaseState } from './state-store.js';
import { callDeadline, grantLease, keepAliveOnce, oldestUnder, rangePrefix, revokeLease, txn, type EtcdCallContext } from './etcd-calls.js';
import { prefixRangeEnd, type EtcdLayout } from './etcd-layout.js';

/** The leader's key as read: who, since when (epoch), and the etcd lease it is bound to. */
type Candidacy = Readonly<{ holder: string; epoch: number; key: Buffer; leaseId: string }>;

function candidacyOf(kv: IKeyValue | undefined): Candidacy | undefined {
  if (kv === undefined) return undefined;
  return { holder: kv.value.toString('utf8'), epoch: Number(kv.create_revision), key: kv.key, leaseId: kv.lease };
}

function holderOf(candidacy: Candidacy | undefined): LeaseHolder | undefined {
  return candidacy === undefined ? undefined : { holder: candidacy.holder, epoch: candidacy.epoch };
}

/** An etcd lease's TTL for a lease of `leaseMs`: whole seconds, rounded up (etcd may raise it to its minimum). */
export function leaseTtlSeconds(leaseMs: number): number {
  return Math.max(1, Math.ceil(leaseMs / 1000));
}

export class EtcdElection {
  readonly #context: EtcdCallContext;
  readonly #layout: EtcdLayout;
  readonly #environment: string;
  readonly #prefix: Buffer;
  readonly #log: Logger;
  /** This process's candidacies that won, by holder: their leases are renewed by the holder's polls. */
  readonly #mine = new Map<string, Candidacy>();

  constructor(context: EtcdCallContext, layout: EtcdLayout, environment: string, log: Logger) {
    this.#context = context;
    this.#log = log;
    this.#layout = layout;
    this.#environment = environment;
    this.#prefix = layout.leaderPrefix(environment);
  }

  /**
   * Renews (a confirmed keepalive of the leader's etcd lease, then a read that it still leads) or takes
   * the lease (create-if-absent of this holder's key). A lost lease is never renewed: the holder's
   * candidacy ends, and this same call campaigns again, so it answers `held: false` (another holder leads)
   * or `held: true` with a new, higher epoch, never the lost one. A leader key holding `holder` that this
   * process does not know (written by an earlier call whose answer was lost, or by this holder's previous
   * run) is renewed as its own, as the interface says: `holder` holds it.
   */
  async tryAcquireOrRenew(holder: string, leaseMs: number): Promise<LeaseState> {
    const known = this.#mine.get(holder);
    if (known !== undefined && (await keepAliveOnce(this.#context, known.leaseId)) <= 0) {
      this.#mine.delete(holder);
      this.#log.warn({ environment: this.#environment, holder, epoch: known.epoch }, 'state store lease lost');
    }
    const leader = await this.#leader();
    if (leader !== undefined && leader.holder === holder) return this.#renew(holder, leader);
    const stale = this.#mine.get(holder);
    if (stale !== undefined) {
      // our key is gone though its lease lives (deleted by hand): this candidacy is over
      this.#mine.delete(holder);
      await revokeLease(this.#context, stale.leaseId);
    }
    if (leader !== undefined) return { held: false, current: holderOf(leader) };
    return this.#campaign(holder, leaseTtlSeconds(leaseMs));
  }

  /** `leader` holds `holder`: held, once its etcd lease is confirmed alive (already done for a known candidacy). */
  async #renew(holder: string, leader: Candidacy): Promise<LeaseState> {
    if (this.#mine.get(holder)?.epoch !== leader.epoch && (await keepAliveOnce(this.#context, leader.leaseId)) <= 0) return { held: false, current: undefined };
    this.#mine.set(holder, leader);
    return { held: true, current: holderOf(leader) };
  }

  /** Resigns: revokes the leader's etcd lease (its key goes with it) when `fence` still leads; else nothing. */
  async releaseLease(fence: LeaseHolder): Promise<void> {
    const leader = await this.#leader();
    if (this.#mine.get(fence.holder)?.epoch === fence.epoch) this.#mine.delete(fence.holder);
    if (leader === undefined || leader.holder !== fence.holder || leader.epoch !== fence.epoch) return;
    await revokeLease(this.#context, leader.leaseId);
  }

  async readLease(): Promise<LeaseHolder | undefined> {
    return holderOf(await this.#leader());
  }

  /**
   * The compares that hold while `fence` leads, for a write's transaction: its key exists with that
   * create revision and holder, and no key under the election prefix is older. Undefined when its key
   * is gone already (the write is fenced without asking).
   */
  async fenceCompares(fence: LeaseHolder): Promise<ICompare[] | undefined> {
    const known = this.#mine.get(fence.holder);
    const key = known?.epoch === fence.epoch ? known.key : (await rangePrefix(this.#context, this.#prefix)).find((kv) => Number(kv.create_revision) === fence.epoch)?.key;
    if (key === undefined) return undefined;
    return [
      { key, target: 'Create', result: 'Equal', create_revision: fence.epoch },
      { key, target: 'Value', result: 'Equal', value: Buffer.from(fence.holder) },
      { key: this.#prefix, range_end: prefixRangeEnd(this.#prefix), target: 'Create', result: 'Greater', create_revision: fence.epoch - 1 },
    ];
  }

  /** Creates this holder's key bound to a new etcd lease, in one transaction that fails if any candidate exists. */
  async #campaign(holder: string, ttlSeconds: number): Promise<LeaseState> {
    const leaseId = await grantLease(this.#context, ttlSeconds);
    const key = this.#layout.leaderKey(this.#environment, leaseId);
    const none: ICompare = { key: this.#prefix, range_end: prefixRangeEnd(this.#prefix), target: 'Create', result: 'Equal', create_revision: 0 };
    const answer = await txn(
      this.#context,
      [none],
      [{ request_put: { key, value: Buffer.from(holder), lease: leaseId } }, { request_range: oldestUnder(this.#prefix) }],
      [{ request_range: oldestUnder(this.#prefix) }],
    );
    const leader = candidacyOf(answer.responses.at(-1)?.response_range.kvs[0]);
    if (!answer.succeeded || leader?.leaseId !== leaseId) {
      await revokeLease(this.#context, leaseId); // another candidate was quicker: this lease binds nothing
      return { held: false, current: holderOf(leader) };
    }
    this.#mine.set(holder, leader);
    return { held: true, current: holderOf(leader) };
  }

  async #leader(): Promise<Candidacy | undefined> {
    const answer = await this.#context.client.kv.range(oldestUnder(this.#prefix), callDeadline(this.#context));
    return candidacyOf(answer.kvs[0]);
  }
}
