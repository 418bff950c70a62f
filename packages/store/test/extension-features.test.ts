import { suite } from "uvu";
import * as assert from "uvu/assert";
import { NotFoundError, openSqliteStore, type Store, ValidationError } from "../src/index.js";
import { rejects } from "./helpers.js";

interface Ctx {
  store: Store;
  ext: number;
}
const t = suite<Ctx>("extension features (forwarding, DND)", {} as Ctx);
t.before.each(async (ctx) => {
  ctx.store = openSqliteStore(":memory:");
  const c = await ctx.store.customers.create({ name: "A", domain: "a.pbx.test" });
  ctx.ext = (await ctx.store.extensions.create({ customerId: c.id, number: "201" })).id;
});
t.after.each(async (ctx) => {
  await ctx.store.close();
});

t("an extension never set has everything off", async ({ store, ext }) => {
  assert.equal(await store.features.get(ext), {
    extensionId: ext,
    forwardAlways: null,
    forwardBusy: null,
    forwardNoAnswer: null,
    noAnswerSeconds: 20,
    forwardUnreachable: null,
    dnd: false,
  });
});

t("a patch changes only what it names; null clears", async ({ store, ext }) => {
  await store.features.update(ext, {
    forwardAlways: "0612345678",
    forwardNoAnswer: "202",
    noAnswerSeconds: 15,
  });
  await store.features.update(ext, { dnd: true, forwardAlways: null });
  const f = await store.features.get(ext);
  assert.is(f.forwardAlways, null);
  assert.is(f.forwardNoAnswer, "202");
  assert.is(f.noAnswerSeconds, 15);
  assert.is(f.dnd, true);
  await store.features.update(ext, { forwardBusy: "voicemail", forwardUnreachable: "+33612345678" });
  assert.is((await store.features.get(ext)).forwardBusy, "voicemail");
  assert.is((await store.features.get(ext)).forwardUnreachable, "+33612345678");
});

t("bad input names the field; an unknown extension is NotFound", async ({ store, ext }) => {
  const e = await rejects(store.features.update(ext, { forwardBusy: "abc" }), ValidationError);
  assert.is(e.field, "forwardBusy");
  const s = await rejects(store.features.update(ext, { noAnswerSeconds: 2 }), ValidationError);
  assert.is(s.field, "noAnswerSeconds");
  await rejects(store.features.update(9999, { dnd: true }), NotFoundError);
  await rejects(store.features.get(9999), NotFoundError);
});

t("deleting the extension deletes its features", async ({ store, ext }) => {
  await store.features.update(ext, { dnd: true });
  await store.extensions.delete(ext);
  await rejects(store.features.get(ext), NotFoundError);
});

t.run();
