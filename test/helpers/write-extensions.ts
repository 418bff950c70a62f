// Run as its own process (`node --import tsx test/helpers/write-extensions.ts DB DOMAIN N`): what an
// operator's provisioning script does to a running node's database, one transaction per
// extension, so the node's main thread keeps meeting a write lock someone else holds.
import { openSqliteStore } from "@centrex/store";

const [db, domain, count] = process.argv.slice(2);
if (db === undefined || domain === undefined || count === undefined) {
  process.stderr.write("usage: write-extensions DB DOMAIN N\n");
  process.exit(2);
}
const store = openSqliteStore(db);
const started = Date.now();
try {
  const customer = await store.customers.create({ name: "Provisioned", domain });
  for (let i = 0; i < Number(count); i++) {
    await store.extensions.create({
      customerId: customer.id,
      number: String(10000 + i),
      password: `password-${i}`,
    });
  }
} finally {
  await store.close();
}
process.stdout.write(`${count} extensions in ${Date.now() - started} ms\n`);
