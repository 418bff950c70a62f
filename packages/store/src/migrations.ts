/**
 * Schema migrations, numbered from 1, applied in order, never edited once released: a change
 * to the schema is a new step at the end. The database records the last applied step in
 * `PRAGMA user_version`. Times are epoch milliseconds (INTEGER).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "tenants, numbers, ring groups, location bindings",
    sql: `
CREATE TABLE customers (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL,
  domain      TEXT    NOT NULL,
  status      TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'terminated')),
  created_at  INTEGER NOT NULL,
  CONSTRAINT customers_domain_unique UNIQUE (domain)
);

CREATE TABLE extensions (
  id            INTEGER PRIMARY KEY,
  customer_id   INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  number        TEXT    NOT NULL,
  display_name  TEXT    NOT NULL DEFAULT '',
  ha1_md5       TEXT,
  ha1_sha256    TEXT,
  enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at    INTEGER NOT NULL,
  UNIQUE (customer_id, number)
);

CREATE TABLE ring_groups (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  number       TEXT    NOT NULL,
  name         TEXT    NOT NULL,
  strategy     TEXT    NOT NULL DEFAULT 'parallel' CHECK (strategy IN ('parallel')),
  created_at   INTEGER NOT NULL,
  UNIQUE (customer_id, number)
);

CREATE TABLE ring_group_members (
  group_id      INTEGER NOT NULL REFERENCES ring_groups (id) ON DELETE CASCADE,
  extension_id  INTEGER NOT NULL REFERENCES extensions (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  PRIMARY KEY (group_id, extension_id)
) WITHOUT ROWID;
CREATE INDEX ring_group_members_extension ON ring_group_members (extension_id);

-- Extensions and ring groups share one dialling namespace per customer.
CREATE TRIGGER extensions_number_free_ins BEFORE INSERT ON extensions
WHEN EXISTS (SELECT 1 FROM ring_groups WHERE customer_id = NEW.customer_id AND number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'conflict:number:number is used by a ring group'); END;
CREATE TRIGGER extensions_number_free_upd BEFORE UPDATE OF number ON extensions
WHEN EXISTS (SELECT 1 FROM ring_groups WHERE customer_id = NEW.customer_id AND number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'conflict:number:number is used by a ring group'); END;
CREATE TRIGGER ring_groups_number_free_ins BEFORE INSERT ON ring_groups
WHEN EXISTS (SELECT 1 FROM extensions WHERE customer_id = NEW.customer_id AND number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'conflict:number:number is used by an extension'); END;
CREATE TRIGGER ring_groups_number_free_upd BEFORE UPDATE OF number ON ring_groups
WHEN EXISTS (SELECT 1 FROM extensions WHERE customer_id = NEW.customer_id AND number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'conflict:number:number is used by an extension'); END;

-- A group's members belong to the group's customer.
CREATE TRIGGER ring_group_members_same_customer BEFORE INSERT ON ring_group_members
WHEN (SELECT customer_id FROM extensions WHERE id = NEW.extension_id)
     IS NOT (SELECT customer_id FROM ring_groups WHERE id = NEW.group_id)
BEGIN SELECT RAISE(ABORT, 'validation:members:member extension belongs to another customer'); END;

CREATE TABLE phone_numbers (
  id                   INTEGER PRIMARY KEY,
  e164                 TEXT    NOT NULL,
  customer_id          INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  target_extension_id  INTEGER REFERENCES extensions (id) ON DELETE SET NULL,
  target_group_id      INTEGER REFERENCES ring_groups (id) ON DELETE SET NULL,
  is_main              INTEGER NOT NULL DEFAULT 0 CHECK (is_main IN (0, 1)),
  created_at           INTEGER NOT NULL,
  CONSTRAINT phone_numbers_e164_unique UNIQUE (e164),
  CHECK (target_extension_id IS NULL OR target_group_id IS NULL)
);
CREATE INDEX phone_numbers_customer ON phone_numbers (customer_id);
CREATE INDEX phone_numbers_target_extension ON phone_numbers (target_extension_id);
CREATE INDEX phone_numbers_target_group ON phone_numbers (target_group_id);
CREATE UNIQUE INDEX phone_numbers_one_main ON phone_numbers (customer_id) WHERE is_main = 1;

-- A number routes only to its own customer's extensions and groups.
CREATE TRIGGER phone_numbers_target_ins BEFORE INSERT ON phone_numbers
WHEN (NEW.target_extension_id IS NOT NULL AND
      (SELECT customer_id FROM extensions WHERE id = NEW.target_extension_id) IS NOT NEW.customer_id)
  OR (NEW.target_group_id IS NOT NULL AND
      (SELECT customer_id FROM ring_groups WHERE id = NEW.target_group_id) IS NOT NEW.customer_id)
BEGIN SELECT RAISE(ABORT, 'validation:target:target belongs to another customer'); END;
CREATE TRIGGER phone_numbers_target_upd BEFORE UPDATE ON phone_numbers
WHEN (NEW.target_extension_id IS NOT NULL AND
      (SELECT customer_id FROM extensions WHERE id = NEW.target_extension_id) IS NOT NEW.customer_id)
  OR (NEW.target_group_id IS NOT NULL AND
      (SELECT customer_id FROM ring_groups WHERE id = NEW.target_group_id) IS NOT NEW.customer_id)
BEGIN SELECT RAISE(ABORT, 'validation:target:target belongs to another customer'); END;

CREATE TABLE bindings (
  id              INTEGER PRIMARY KEY,
  extension_id    INTEGER NOT NULL REFERENCES extensions (id) ON DELETE CASCADE,
  contact         TEXT    NOT NULL,
  q               REAL    NOT NULL DEFAULT 1.0,
  expires_at      INTEGER NOT NULL,
  call_id         TEXT    NOT NULL,
  cseq            INTEGER NOT NULL,
  transport       TEXT    NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls', 'ws', 'wss')),
  source_address  TEXT    NOT NULL,
  source_port     INTEGER NOT NULL,
  local_address   TEXT,
  local_port      INTEGER,
  connection_id   TEXT,
  instance_id     TEXT,
  reg_id          INTEGER,
  user_agent      TEXT,
  path            TEXT    NOT NULL DEFAULT '[]',
  updated_at      INTEGER NOT NULL,
  UNIQUE (extension_id, contact)
);
CREATE INDEX bindings_expires_at ON bindings (expires_at);
CREATE INDEX bindings_flow ON bindings (extension_id, instance_id, reg_id) WHERE instance_id IS NOT NULL;
`,
  },
  {
    version: 2,
    name: "carriers and prefix routes",
    sql: `
CREATE TABLE carriers (
  id             INTEGER PRIMARY KEY,
  name           TEXT    NOT NULL,
  host           TEXT    NOT NULL,
  port           INTEGER NOT NULL DEFAULT 5060,
  transport      TEXT    NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp', 'tcp', 'tls')),
  username       TEXT,
  -- In clear on purpose: a digest answer needs the password for whatever realm and
  -- algorithm the carrier challenges with.
  password       TEXT,
  number_format  TEXT    NOT NULL DEFAULT 'e164' CHECK (number_format IN ('e164', 'national')),
  priority       INTEGER NOT NULL DEFAULT 10,
  weight         INTEGER NOT NULL DEFAULT 1,
  enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at     INTEGER NOT NULL,
  CONSTRAINT carriers_name_unique UNIQUE (name)
);

CREATE TABLE carrier_routes (
  id          INTEGER PRIMARY KEY,
  carrier_id  INTEGER NOT NULL REFERENCES carriers (id) ON DELETE CASCADE,
  prefix      TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (carrier_id, prefix)
);
CREATE INDEX carrier_routes_prefix ON carrier_routes (prefix);
`,
  },
  {
    version: 3,
    name: "customer policy, PIN codes, audit log",
    sql: `
CREATE TABLE customer_policies (
  customer_id             INTEGER PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  emergency_department    TEXT,
  emergency_commune       TEXT,
  barring_overrides       TEXT    NOT NULL DEFAULT '{}',
  pstn_suspension         TEXT    NOT NULL DEFAULT 'none' CHECK (pstn_suspension IN ('none', 'partial', 'total')),
  pstn_suspension_reason  TEXT,
  fallback_number         TEXT,
  telecom_professional    INTEGER NOT NULL DEFAULT 0 CHECK (telecom_professional IN (0, 1)),
  delivery_date           TEXT,
  updated_at              INTEGER NOT NULL,
  CHECK ((emergency_department IS NULL) = (emergency_commune IS NULL))
);

CREATE TABLE pins (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  label        TEXT    NOT NULL,
  hash         TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (customer_id, label)
);

-- No foreign key: the trail must outlive the customer it describes.
CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  actor        TEXT    NOT NULL,
  action       TEXT    NOT NULL,
  customer_id  INTEGER,
  detail       TEXT    NOT NULL DEFAULT 'null'
);
CREATE INDEX audit_log_customer ON audit_log (customer_id, at);
CREATE INDEX audit_log_at ON audit_log (at);
`,
  },
  {
    version: 4,
    name: "call records (hash chain), open calls, invoices, fair-use withdrawals",
    sql: `
-- Call records: append-only, one hash chain per node. No foreign keys: proof of usage must
-- outlive the customer, extension or carrier it names (CG art. 12).
CREATE TABLE cdrs (
  node               TEXT    NOT NULL,
  seq                INTEGER NOT NULL,
  customer_id        INTEGER,
  extension          TEXT,
  call_id            TEXT    NOT NULL,
  direction          TEXT    NOT NULL,
  caller             TEXT    NOT NULL,
  dialled            TEXT    NOT NULL,
  called             TEXT,
  destination_class  TEXT    NOT NULL,
  carrier            TEXT,
  started_at         INTEGER NOT NULL,
  answered_at        INTEGER,
  ended_at           INTEGER NOT NULL,
  billable_ms        INTEGER NOT NULL,
  disposition        TEXT    NOT NULL,
  sip_status         INTEGER,
  reason             TEXT,
  prev_hash          TEXT    NOT NULL,
  hash               TEXT    NOT NULL,
  sig                TEXT    NOT NULL,
  PRIMARY KEY (node, seq)
) WITHOUT ROWID;
CREATE INDEX cdrs_customer_started ON cdrs (customer_id, started_at);

-- The last record appended on each node, signed: catches truncation of the chain's tail.
CREATE TABLE cdr_heads (
  node  TEXT    PRIMARY KEY,
  seq   INTEGER NOT NULL,
  hash  TEXT    NOT NULL,
  sig   TEXT    NOT NULL,
  at    INTEGER NOT NULL
) WITHOUT ROWID;

-- Signed marks on the chain; a 'purge' mark anchors what remains after a retention purge.
CREATE TABLE cdr_checkpoints (
  id      INTEGER PRIMARY KEY,
  node    TEXT    NOT NULL,
  seq     INTEGER NOT NULL,
  hash    TEXT    NOT NULL,
  reason  TEXT    NOT NULL,
  sig     TEXT    NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX cdr_checkpoints_node ON cdr_checkpoints (node, seq);

-- Calls in progress, so a crash cannot lose them: closed as 'interrupted' on restart.
CREATE TABLE open_calls (
  node         TEXT    NOT NULL,
  call_id      TEXT    NOT NULL,
  data         TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,
  answered_at  INTEGER,
  PRIMARY KEY (node, call_id)
) WITHOUT ROWID;

CREATE TABLE invoices (
  id            INTEGER PRIMARY KEY,
  customer_id   INTEGER NOT NULL,
  period_start  TEXT    NOT NULL,
  period_end    TEXT    NOT NULL,
  issued_on     TEXT    NOT NULL,
  total_cents   INTEGER NOT NULL,
  document      TEXT    NOT NULL,
  paid_at       INTEGER,
  created_at    INTEGER NOT NULL,
  UNIQUE (customer_id, period_start)
);
CREATE INDEX invoices_customer_end ON invoices (customer_id, period_end);

CREATE TABLE fair_use_withdrawals (
  customer_id   INTEGER NOT NULL,
  month         TEXT    NOT NULL,
  actor         TEXT    NOT NULL,
  confirmed_at  INTEGER NOT NULL,
  PRIMARY KEY (customer_id, month)
) WITHOUT ROWID;
`,
  },
  {
    version: 5,
    name: "phone inventory (provisioning): phones, their line and BLF keys, sealed SIP passwords",
    sql: `
-- The desk phones the operator ships (CS art. 3): what the provisioning service serves per MAC
-- and what the monthly subscription counts (CG art. 7).
CREATE TABLE phones (
  id               INTEGER PRIMARY KEY,
  customer_id      INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  mac              TEXT    NOT NULL CHECK (length(mac) = 12),
  model            TEXT    NOT NULL,
  -- SHA-256 of the phone's random provisioning password; the password is shown once.
  credential_hash  TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  CONSTRAINT phones_mac_unique UNIQUE (mac)
);
CREATE INDEX phones_customer ON phones (customer_id);

-- Line keys (accounts) and BLF keys, in key order. An extension removed takes its keys along.
CREATE TABLE phone_keys (
  phone_id      INTEGER NOT NULL REFERENCES phones (id) ON DELETE CASCADE,
  kind          TEXT    NOT NULL CHECK (kind IN ('line', 'blf')),
  position      INTEGER NOT NULL,
  extension_id  INTEGER NOT NULL REFERENCES extensions (id) ON DELETE CASCADE,
  PRIMARY KEY (phone_id, kind, position)
) WITHOUT ROWID;
CREATE INDEX phone_keys_extension ON phone_keys (extension_id);

CREATE TRIGGER phone_keys_same_customer BEFORE INSERT ON phone_keys
WHEN (SELECT customer_id FROM extensions WHERE id = NEW.extension_id)
     IS NOT (SELECT customer_id FROM phones WHERE id = NEW.phone_id)
BEGIN SELECT RAISE(ABORT, 'validation:extension:extension belongs to another customer'); END;

-- The SIP password a provisioned phone needs in clear, sealed (AES-GCM) with the provisioning
-- key, which is not in the database. ha1_md5 is the extension's HA1 when it was sealed: a
-- password changed since (extension passwd) makes the sealed copy stale, detectably.
CREATE TABLE provisioning_secrets (
  extension_id  INTEGER PRIMARY KEY REFERENCES extensions (id) ON DELETE CASCADE,
  sealed        TEXT    NOT NULL,
  ha1_md5       TEXT    NOT NULL,
  updated_at    INTEGER NOT NULL
);
`,
  },
  {
    version: 6,
    name: "customer ids never reused; when and why each suspension started",
    sql: `
-- SQLite reuses the highest INTEGER PRIMARY KEY after its row is deleted; customer ids are
-- also the key of audit rows, call records and invoices that outlive the customer, so a new
-- customer must never get a deleted one's id. The high-water mark is kept here (a table rather
-- than AUTOINCREMENT, which would mean rebuilding customers and cascading into its children).
CREATE TABLE id_high_water (
  name  TEXT    PRIMARY KEY,
  last  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_high_water (name, last) VALUES ('customers', max(
  coalesce((SELECT max(id) FROM customers), 0),
  coalesce((SELECT max(customer_id) FROM audit_log), 0),
  coalesce((SELECT max(customer_id) FROM cdrs), 0),
  coalesce((SELECT max(customer_id) FROM invoices), 0),
  coalesce((SELECT max(customer_id) FROM fair_use_withdrawals), 0)));

ALTER TABLE customer_policies ADD COLUMN pstn_suspended_at INTEGER;
ALTER TABLE customer_policies ADD COLUMN non_payment_since INTEGER;
ALTER TABLE customer_policies ADD COLUMN non_payment_reason TEXT;
`,
  },
  {
    version: 7,
    name: "carriers: registration asked per carrier; carrier health as each node sees it",
    sql: `
-- Outbound REGISTER only for carriers that require it (carrier add --register): many carriers
-- authenticate by address or by challenging each INVITE, and an unsolicited REGISTER is noise
-- to them. Existing carriers start without it (trunk.registration: auto keeps the old rule).
ALTER TABLE carriers ADD COLUMN register INTEGER NOT NULL DEFAULT 0 CHECK (register IN (0, 1));

-- Written by the running switch when a carrier changes state, read by carrier list and the
-- API. One row per carrier and node: each node probes and calls carriers on its own.
CREATE TABLE carrier_health (
  carrier_id    INTEGER NOT NULL REFERENCES carriers (id) ON DELETE CASCADE,
  node          TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('up', 'demoted')),
  reason        TEXT,
  since         INTEGER NOT NULL,
  registration  TEXT,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (carrier_id, node)
) WITHOUT ROWID;
`,
  },
  {
    version: 8,
    name: "call forwarding and do-not-disturb per extension",
    sql: `
-- One row per extension that has any feature set; none = no forwarding, DND off. A target is
-- what the user would dial (an extension, a group, a national or +E.164 number) or the word
-- 'voicemail'; it is routed like a call the extension dialled when the forwarding applies.
CREATE TABLE extension_features (
  extension_id         INTEGER PRIMARY KEY REFERENCES extensions (id) ON DELETE CASCADE,
  forward_always       TEXT,
  forward_busy         TEXT,
  forward_no_answer    TEXT,
  no_answer_seconds    INTEGER NOT NULL DEFAULT 20 CHECK (no_answer_seconds BETWEEN 5 AND 120),
  forward_unreachable  TEXT,
  dnd                  INTEGER NOT NULL DEFAULT 0 CHECK (dnd IN (0, 1)),
  updated_at           INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 9,
    name: "call records link a transferred call to the call it came from",
    sql: `
-- The Call-ID of the original call, on the record of the call a transfer (REFER) created; the
-- record's hash covers it (canonical form cdr/2), older records keep cdr/1 and stay valid.
ALTER TABLE cdrs ADD COLUMN transferred_from TEXT;
CREATE INDEX cdrs_transferred_from ON cdrs (transferred_from) WHERE transferred_from IS NOT NULL;
`,
  },
  {
    version: 10,
    name: "ring groups: simultaneous or sequential (hunt), ring times, overflow",
    sql: `
-- The strategy column allowed only 'parallel'; its CHECK is part of the column, so the column
-- is dropped and added again (existing groups ring all members at once, as before).
ALTER TABLE ring_groups DROP COLUMN strategy;
ALTER TABLE ring_groups ADD COLUMN strategy TEXT NOT NULL DEFAULT 'simultaneous'
  CHECK (strategy IN ('simultaneous', 'sequential'));
-- Sequential: how long each member rings before the next one. Both: how long the whole group
-- rings before the overflow (or 480 when there is none).
ALTER TABLE ring_groups ADD COLUMN member_seconds INTEGER NOT NULL DEFAULT 15
  CHECK (member_seconds BETWEEN 5 AND 120);
ALTER TABLE ring_groups ADD COLUMN timeout_seconds INTEGER NOT NULL DEFAULT 60
  CHECK (timeout_seconds BETWEEN 5 AND 600);
-- Where an unanswered call goes: a number routed as if dialled (extension, group, national or
-- +E.164), or 'voicemail:<extension>' (that extension's mailbox); NULL = the caller gets 480.
ALTER TABLE ring_groups ADD COLUMN overflow TEXT;
`,
  },
  {
    version: 11,
    name: "call records searchable by start time across customers",
    sql: `
-- The operator's search (GET /cdrs/search with no customer) and the calls-per-hour chart
-- filter on started_at alone; without this index they read every record. In a WITHOUT ROWID
-- table the index carries the primary key (node, seq) after started_at, so it also gives the
-- search's ORDER BY started_at, node, seq without sorting.
CREATE INDEX cdrs_started ON cdrs (started_at);
`,
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.length;
