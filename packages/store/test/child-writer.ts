// Run by sharing.test.ts in a separate process, like the `centrex` CLI next to a running server:
// opens the store file given as argv[2], adds a customer and an extension, exits.
import { openSqliteStore } from "../src/index.js";

const store = openSqliteStore(process.argv[2]!);
const c = await store.customers.create({ name: "From CLI", domain: "cli.pbx.test" });
await store.extensions.create({ customerId: c.id, number: "201", password: "password-cli" });
await store.close();
