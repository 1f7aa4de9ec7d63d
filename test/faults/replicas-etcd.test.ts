/**
 * Issue 16's replica faults on etcd v3; the scenarios are in replica-scenarios.ts, shared with
 * replicas-mysql.test.ts. Needs `npm run build` (real processes).
 */
import { describeReplicaFaults } from './replica-scenarios.js';

describeReplicaFaults('etcd');
