// A real local Bluesky network: PLC 2582, PDS 2583, AppView 2584, on the machine's PostgreSQL and Redis.
// Prints "READY" once the users alice.test, bob.test and carla.test (password hunter2) exist; stops on SIGTERM.
import { TestNetwork } from '@atproto/dev-env'

// dev-env reads these from the environment
process.env.REDIS_HOST ||= '127.0.0.1:6379'
process.env.DB_POSTGRES_URL ||= 'postgresql://postgres@127.0.0.1:5432/postgres'

const network = await TestNetwork.create({
  dbPostgresUrl: process.env.DB_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/postgres',
  // schemas may hold only [A-Za-z_] (bsync refuses digits): the pid spelt in letters keeps two networks apart
  dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || `bsky_localnet_${String(process.pid).replace(/\d/g, (d) => 'abcdefghij'[d])}`,
  redisHost: process.env.REDIS_HOST || '127.0.0.1:6379',
  plc: { port: 2582 },
  pds: { port: 2583 },
  bsky: { port: 2584 },
})
const seed = network.getSeedClient()
for (const name of ['alice', 'bob', 'carla']) {
  await seed.createAccount(name, { handle: `${name}.test`, email: `${name}@test.com`, password: 'hunter2' })
}
await network.processAll()
console.log('READY', network.pds.url, network.bsky.url)
const stop = async () => {
  await network.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
