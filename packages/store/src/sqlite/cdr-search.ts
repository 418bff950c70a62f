import type { CdrSearch } from "../repositories.js";
import { checkInteger, checkText } from "../validate.js";

/** `%`, `_` and the escape character itself match literally in a LIKE … ESCAPE '\' pattern. */
const likeContaining = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The WHERE clause and parameters of a search (every filter given, ANDed). */
function where(q: CdrSearch): { clause: string; params: (string | number)[] } {
  checkInteger(q.from, "from", 0, Number.MAX_SAFE_INTEGER);
  checkInteger(q.to, "to", 0, Number.MAX_SAFE_INTEGER);
  const parts = ["started_at >= ?", "started_at < ?"];
  const params: (string | number)[] = [q.from, q.to];
  if (q.customerId !== undefined) {
    parts.unshift("customer_id = ?"); // first: the (customer_id, started_at) index applies
    params.unshift(checkInteger(q.customerId, "customerId", 1, Number.MAX_SAFE_INTEGER));
  }
  if (q.caller !== undefined) {
    parts.push("caller LIKE ? ESCAPE '\\'");
    params.push(likeContaining(checkText(q.caller, "caller", { max: 100 })));
  }
  if (q.callee !== undefined) {
    // What was dialled or where it went (the E.164 or internal number).
    const p = likeContaining(checkText(q.callee, "callee", { max: 100 }));
    parts.push("(dialled LIKE ? ESCAPE '\\' OR coalesce(called, '') LIKE ? ESCAPE '\\')");
    params.push(p, p);
  }
  if (q.disposition !== undefined) {
    parts.push("disposition = ?");
    params.push(checkText(q.disposition, "disposition", { max: 40 }));
  }
  return { clause: parts.join(" AND "), params };
}

/** A search's SELECT: matching records in start order, at most `limit`. */
export function cdrSearchQuery(q: CdrSearch): { text: string; params: (string | number)[] } {
  const { clause, params } = where(q);
  const limit = checkInteger(q.limit, "limit", 1, 1_000_000);
  return {
    text: `SELECT * FROM cdrs WHERE ${clause} ORDER BY started_at, node, seq LIMIT ?`,
    params: [...params, limit],
  };
}

/** Calls started per UTC hour (epoch ms of the hour's start), answered ones apart; empty hours left out. */
export function cdrHoursQuery(q: Omit<CdrSearch, "limit">): { text: string; params: (string | number)[] } {
  const { clause, params } = where({ ...q, limit: 1 });
  return {
    text: `SELECT (started_at / 3600000) * 3600000 AS hour, count(*) AS calls,
             sum(answered_at IS NOT NULL) AS answered
           FROM cdrs WHERE ${clause} GROUP BY hour ORDER BY hour`,
    params,
  };
}
