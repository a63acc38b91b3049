import type { Row } from "@tessera/shared-crdt";
import { ImportError, pointerJoin, type SourceLocation } from "../errors.js";
import { stableId } from "../ids.js";
import { isPlainObject } from "../jsonl.js";

/**
 * Pixano 0.7's VQA forms (`messages` / `conversations`): a flat list of messages, a list of
 * conversations (lists), or `{"question": {…}, "response" | "responses": …}` entries. Numbers
 * follow 0.7 (one per message, or the explicit `number`); `<image N>` in a question picks the
 * N-th view; answers default to the question's view and entities.
 */
export interface MessageContext {
  readonly recordId: string;
  /** Views of the record in declaration order: (logical name, view id). */
  readonly views: ReadonlyArray<readonly [string, string]>;
  readonly viewOf: (name: string) => string | undefined;
  readonly source: { readonly type: string; readonly name: string };
  readonly where: (pointer: string) => SourceLocation;
}

export interface MessageRow {
  readonly row: Row;
  readonly pointer: string;
}

function entityIds(o: Record<string, unknown>): string[] {
  const v = o.entity_ids ?? o.referenced_entity_ids ?? (o.entity_id ? [o.entity_id] : []);
  return Array.isArray(v) ? v.map(String) : [];
}

function conversationsOf(
  value: unknown,
  pointer: string,
  where: MessageContext["where"],
): Array<{ items: unknown[]; pointer: string; id?: string }> {
  if (!Array.isArray(value)) throw new ImportError("invalid_value", "messages must be a list", where(pointer));
  if (value.length === 0) return [];
  if (value.every((v) => isPlainObject(v) && "type" in v)) return [{ items: value, pointer }];
  if (value.every(Array.isArray))
    return value.map((v, i) => ({ items: v as unknown[], pointer: pointerJoin(pointer, i) }));
  if (value.every((v) => isPlainObject(v) && Array.isArray(v.messages))) {
    return value.map((v, i) => {
      const o = v as Record<string, unknown>;
      return {
        items: o.messages as unknown[],
        pointer: pointerJoin(pointerJoin(pointer, i), "messages"),
        ...(typeof o.id === "string" ? { id: o.id } : {}),
      };
    });
  }
  if (value.every(isPlainObject)) return [{ items: value, pointer }];
  throw new ImportError(
    "invalid_value",
    "messages must be a list of messages, of conversations, or of {question, response} entries",
    where(pointer),
  );
}

function str(v: unknown, dflt: string): string {
  return typeof v === "string" ? v : dflt;
}

export function buildMessages(ctx: MessageContext, value: unknown, pointer: string): MessageRow[] {
  const out: MessageRow[] = [];
  const firstView = ctx.views[0]?.[1] ?? "";
  const defaultUser = "import";
  conversationsOf(value, pointer, ctx.where).forEach((conv, ci) => {
    const conversationId = conv.id ?? stableId(ctx.recordId, "conv", ci);
    let number = 0;
    let ordinal = 0;
    const push = (row: Row, p: string) => {
      out.push({ row: { id: row.id ?? stableId(conversationId, "msg", ordinal), ...row }, pointer: p });
      ordinal++;
    };
    conv.items.forEach((item, ii) => {
      const p = pointerJoin(conv.pointer, ii);
      if (!isPlainObject(item)) throw new ImportError("invalid_value", "each message must be an object", ctx.where(p));
      if (!("question" in item)) {
        const type = str(item.type, "QUESTION").toUpperCase();
        const explicit = typeof item.number === "number" ? item.number : undefined;
        const viewName = typeof item.view_name === "string" ? item.view_name : undefined;
        push(
          {
            ...(typeof item.id === "string" ? { id: item.id } : {}),
            record_id: ctx.recordId,
            entity_ids: entityIds(item),
            source_type: str(item.source_type, ctx.source.type),
            source_name: str(item.source_name, ctx.source.name),
            view_id: (viewName !== undefined ? ctx.viewOf(viewName) : undefined) ?? firstView,
            conversation_id: str(item.conversation_id, conversationId),
            number: explicit ?? number,
            user: str(item.user, defaultUser),
            type,
            content: str(item.content, ""),
            choices: Array.isArray(item.choices) ? item.choices : [],
            question_type: type === "QUESTION" ? str(item.question_type, "OPEN") : "",
          },
          p,
        );
        number = Math.max(number + 1, (explicit ?? number) + 1);
        return;
      }
      const q = item.question;
      if (!isPlainObject(q) || typeof q.content !== "string" || q.content === "") {
        throw new ImportError(
          "invalid_value",
          'a question needs a non-empty "content"',
          ctx.where(pointerJoin(p, "question")),
        );
      }
      const m = /<image (\d)>/.exec(q.content);
      const n = m ? Number(m[1]) - 1 : -1;
      const viewId = n >= 0 && n < ctx.views.length ? ctx.views[n]![1] : firstView;
      const qEntities = entityIds(q);
      push(
        {
          record_id: ctx.recordId,
          entity_ids: qEntities,
          source_type: ctx.source.type,
          source_name: ctx.source.name,
          view_id: viewId,
          conversation_id: conversationId,
          number,
          user: str(q.user, defaultUser),
          type: "QUESTION",
          content: q.content,
          choices: Array.isArray(q.choices) ? q.choices : [],
          question_type: str(q.question_type, "OPEN"),
        },
        pointerJoin(p, "question"),
      );
      number++;
      const responses = isPlainObject(item.response)
        ? [item.response]
        : Array.isArray(item.responses)
          ? item.responses
          : item.responses === undefined
            ? []
            : [item.responses];
      responses.forEach((r, ri) => {
        const rp = isPlainObject(item.response)
          ? pointerJoin(p, "response")
          : pointerJoin(pointerJoin(p, "responses"), ri);
        if (!isPlainObject(r))
          throw new ImportError("invalid_value", "a response must be an object {content, user?}", ctx.where(rp));
        const re = entityIds(r);
        push(
          {
            record_id: ctx.recordId,
            entity_ids: re.length > 0 ? re : qEntities,
            source_type: ctx.source.type,
            source_name: ctx.source.name,
            view_id: viewId,
            conversation_id: conversationId,
            number,
            user: str(r.user, defaultUser),
            type: "ANSWER",
            content: str(r.content, ""),
            choices: [],
            question_type: "",
          },
          rp,
        );
        number++;
      });
    });
  });
  return out;
}
