/**
 * Issue 16's replica faults on MariaDB (the database behind rancher/server); the scenarios are in
 * replica-scenarios.ts, shared with replicas-etcd.test.ts. Needs `npm run build` (real processes).
 */
import { describeReplicaFaults } from './replica-scenarios.js';

describeReplicaFaults('mysql');
