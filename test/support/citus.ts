// Databases on a local Citus cluster (scripts/citus-test.sh starts one): a database on the
// coordinator and every worker, copied on the coordinator from the migrated PostgreSQL template,
// then given the citus extension, its nodes, and `signpost citus distribute`. Also used by
// bench/scale.ts.
import pg from 'pg';
import { applyDistribution, planDistribution } from '../../src/db/citus.ts';

async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withDatabaseName(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

/** The worker nodes registered in the coordinator's own database. */
async function workerUrls(coordinatorUrl: string): Promise<string[]> {
  const rows = await onServer(
    coordinatorUrl,
    async (client) =>
      (
        await client.query<{ nodename: string; nodeport: number }>(
          `SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeport`,
        )
      ).rows,
  );
  if (rows.length === 0)
    throw new Error(`No Citus workers are registered at ${coordinatorUrl}; start the cluster with scripts/citus-test.sh`);
  return rows.map((row) => {
    const url = new URL(coordinatorUrl);
    url.hostname = row.nodename;
    url.port = String(row.nodeport);
    return url.toString();
  });
}

/**
 * Creates `name` on every node (on the coordinator from `template` when given, e.g. a migrated
 * database), with the citus extension and the nodes registered, and distributes it when it has
 * tables. Returns the connection string of the new database on the coordinator.
 */
export async function createCitusDatabase(coordinatorUrl: string, name: string, template?: string, shardCount?: number): Promise<string> {
  const workers = await workerUrls(coordinatorUrl);
  const coordinator = new URL(coordinatorUrl);
  for (const worker of workers) {
    await onServer(worker, (client) => client.query(`CREATE DATABASE ${name}`));
    await onServer(withDatabaseName(worker, name), (client) => client.query('CREATE EXTENSION citus'));
  }
  await onServer(coordinatorUrl, (client) => client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const url = withDatabaseName(coordinatorUrl, name);
  await onServer(url, async (client) => {
    await client.query('CREATE EXTENSION citus');
    await client.query('SELECT citus_set_coordinator_host($1, $2)', [coordinator.hostname, Number(coordinator.port)]);
    for (const worker of workers) {
      const node = new URL(worker);
      await client.query('SELECT citus_add_node($1, $2)', [node.hostname, Number(node.port)]);
    }
  });
  if (template) await distributeDatabase(url, shardCount);
  return url;
}

/** What `signpost citus distribute` does, for a database named by its URL. */
export async function distributeDatabase(url: string, shardCount?: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await applyDistribution(pool, await planDistribution(pool, { shardCount }));
  } finally {
    await pool.end();
  }
}

export async function dropCitusDatabase(coordinatorUrl: string, name: string): Promise<void> {
  const workers = await workerUrls(coordinatorUrl);
  await onServer(coordinatorUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  for (const worker of workers) {
    await onServer(worker, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}
