import type { RingGroupUpdate, RingGroupView } from "@centrex/operations";
import type { RingStrategy } from "@centrex/store";
import { type Command, InvalidArgumentError } from "commander";
import { print } from "./output.js";
import {
  type ChangeOptions,
  changeOptions,
  cliActor,
  dbOptions,
  jsonOption,
  output,
  withOps,
} from "./store-command.js";

type GroupOptions = ChangeOptions & {
  json?: boolean;
  name?: string;
  strategy?: RingStrategy;
  members?: string[];
  memberSeconds?: number;
  timeout?: number;
  overflow?: string;
  position?: number;
};

function strategy(value: string): RingStrategy {
  if (value !== "simultaneous" && value !== "sequential")
    throw new InvalidArgumentError('must be "simultaneous" or "sequential"');
  return value;
}

function members(value: string): string[] {
  const list = value === "" ? [] : value.split(",").map((m) => m.trim());
  if (list.some((m) => !/^\d{2,6}$/.test(m)))
    throw new InvalidArgumentError("a comma-separated list of extension numbers (e.g. 201,202)");
  return list;
}

const seconds = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new InvalidArgumentError(`must be ${min} to ${max} seconds`);
  return n;
};

function position(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("a position from 1");
  return Number(value);
}

function settingOptions(cmd: Command): Command {
  return cmd
    .option(
      "--strategy <how>",
      "simultaneous (every member at once) or sequential (one after the other)",
      strategy,
    )
    .option("--members <list>", "extension numbers in hunt order, comma-separated (e.g. 201,202)", members)
    .option(
      "--member-seconds <s>",
      "sequential: how long each member rings (5-120, default 15)",
      seconds(5, 120),
    )
    .option(
      "--timeout <s>",
      "how long the group rings before the overflow (5-600, default 60)",
      seconds(5, 600),
    )
    .option(
      "--overflow <target>",
      'where an unanswered call goes: a number (extension, group, outside), "voicemail:<ext>", or "none"',
    );
}

function update(o: GroupOptions): RingGroupUpdate {
  return {
    ...(o.name !== undefined && { name: o.name }),
    ...(o.strategy !== undefined && { strategy: o.strategy }),
    ...(o.members !== undefined && { members: o.members }),
    ...(o.memberSeconds !== undefined && { memberSeconds: o.memberSeconds }),
    ...(o.timeout !== undefined && { timeoutSeconds: o.timeout }),
    ...(o.overflow !== undefined && { overflow: o.overflow === "none" ? null : o.overflow }),
  };
}

/**
 * `centrex group …`: a customer's ring groups (README "Ring groups"): add,
 * list, show, set, remove, member add/remove. Changes go through the operations layer (audited).
 */
export function registerRingGroupCommands(program: Command): void {
  const group = program
    .command("group")
    .description("a customer's ring groups: add, list, show, set, remove, member add/remove");

  settingOptions(
    changeOptions(group.command("add <domain> <number>").description("add a ring group (audited)")),
  )
    .requiredOption("--name <name>", "the group's name (e.g. Accueil)")
    .action((domain: string, number: string, o: GroupOptions) =>
      withOps(o, async (ops) => {
        const v = await ops.ringGroups.add(cliActor(o), domain, { number, name: o.name!, ...update(o) });
        print(`ring group ${describe(v)}`);
      }),
    );

  jsonOption(dbOptions(group.command("list <domain>").description("list a customer's ring groups"))).action(
    (domain: string, o: GroupOptions) =>
      withOps(o, async (ops) => {
        const list = await ops.ringGroups.list(domain);
        output(o, list, () => {
          for (const v of list) print(describe(v));
        });
      }),
  );

  jsonOption(dbOptions(group.command("show <domain> <number>").description("show one ring group"))).action(
    (domain: string, number: string, o: GroupOptions) =>
      withOps(o, async (ops) => {
        const v = await ops.ringGroups.show(domain, number);
        output(o, v, () => print(describe(v)));
      }),
  );

  settingOptions(
    changeOptions(group.command("set <domain> <number>").description("change a ring group (audited)")),
  )
    .option("--name <name>", "a new name")
    .action((domain: string, number: string, o: GroupOptions) =>
      withOps(o, async (ops) => {
        const v = await ops.ringGroups.update(cliActor(o), domain, number, update(o));
        print(`ring group ${describe(v)}`);
      }),
    );

  changeOptions(
    group.command("remove <domain> <number>").description("remove a ring group (audited)"),
  ).action((domain: string, number: string, o: GroupOptions) =>
    withOps(o, async (ops) => {
      await ops.ringGroups.remove(cliActor(o), domain, number);
      print(`ring group ${number} removed`);
    }),
  );

  const member = group.command("member").description("a ring group's members: add, remove");
  changeOptions(
    member
      .command("add <domain> <number> <extension>")
      .description("add a member (at the end of the hunt order, or at --position)"),
  )
    .option("--position <n>", "place in the hunt order (1 = first)", position)
    .action((domain: string, number: string, ext: string, o: GroupOptions) =>
      withOps(o, async (ops) => {
        const v = await ops.ringGroups.addMember(cliActor(o), domain, number, ext, o.position);
        print(`ring group ${describe(v)}`);
      }),
    );
  changeOptions(
    member.command("remove <domain> <number> <extension>").description("remove a member from a ring group"),
  ).action((domain: string, number: string, ext: string, o: GroupOptions) =>
    withOps(o, async (ops) => {
      const v = await ops.ringGroups.removeMember(cliActor(o), domain, number, ext);
      print(`ring group ${describe(v)}`);
    }),
  );
}

function describe(v: RingGroupView): string {
  const timing =
    v.strategy === "sequential"
      ? `${v.memberSeconds}s each, ${v.timeoutSeconds}s in all`
      : `${v.timeoutSeconds}s`;
  return [
    v.number,
    v.name,
    v.strategy,
    `members ${v.members.length === 0 ? "-" : v.members.join(",")}`,
    timing,
    `overflow ${v.overflow ?? "-"}`,
  ].join("\t");
}
