import type { Static, TSchema } from "@sinclair/typebox";
import type { Request, RequestHandler, Router } from "express";
import { checkDeclaration, requestValidator } from "./requestValidation.js";

/** A JSON Schema (OpenAPI 3.1 dialect) fragment. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface QueryParamDoc {
  readonly name: string;
  readonly schema: JsonSchema;
  readonly required?: boolean;
  readonly description?: string;
}

interface ResponseDoc {
  readonly description: string;
  /** media type → schema; omitted for bodiless responses (204). */
  readonly content?: Readonly<Record<string, JsonSchema>>;
  readonly headers?: Readonly<Record<string, { readonly description: string; readonly schema: JsonSchema }>>;
}

/**
 * One API route, described once. The routers register handlers through {@link RouteTable.add},
 * which records the spec, so the OpenAPI document is built from exactly the routes that exist.
 */
export interface RouteSpec {
  readonly method: HttpMethod;
  /** OpenAPI path template, e.g. `/datasets/{dataset_id}/records/{id}`. */
  readonly path: string;
  /** A `{name}` that spans several segments (`/media/{path}`): registered as Express `*name`. */
  readonly wildcard?: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly query?: readonly QueryParamDoc[];
  /**
   * JSON request body schema: a TypeBox schema (shared-crdt's `api`), which the router enforces
   * before the handler runs, or a `$ref` to a table component, which the table rules check.
   */
  readonly body?: JsonSchema;
  readonly responses: Readonly<Record<string, ResponseDoc>>;
  readonly deprecated?: boolean;
}

/** `/a/{b}/c` → `/a/:b/c`; the wildcard parameter becomes `*name`. */
export function expressPath(spec: Pick<RouteSpec, "path" | "wildcard">): string {
  return spec.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) =>
    name === spec.wildcard ? `*${name}` : `:${name}`,
  );
}

function templateRegExp(spec: Pick<RouteSpec, "path" | "wildcard">): RegExp {
  const body = spec.path
    .split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/)
    .map((part) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      return m[1] === spec.wildcard ? ".+" : "[^/]+";
    })
    .join("");
  return new RegExp(`^${body}/?$`);
}

type Params = Request["params"];

/** What the handler's `req.body` is: the `Static<>` of a TypeBox body (checked by the router), else unread JSON. */
export type BodyOf<S extends RouteSpec> = S["body"] extends TSchema ? Static<S["body"]> : unknown;

/** The value of one declared query parameter, as the router hands it over. */
type QueryValue<P extends QueryParamDoc> = P["schema"] extends { readonly type: "integer" }
  ? number
  : P["schema"] extends { readonly type: "array" }
    ? string[]
    : string;

/** Absent parameters: a list is `[]`, a declared `default` is filled in, anything else is `undefined`. */
type QueryField<P extends QueryParamDoc> = P["schema"] extends { readonly type: "array" }
  ? QueryValue<P>
  : P extends { readonly required: true }
    ? QueryValue<P>
    : P["schema"] extends { readonly default: unknown }
      ? QueryValue<P>
      : QueryValue<P> | undefined;

/**
 * What the handler's `req.query` is: exactly the declared parameters, parsed and checked by the
 * router (integers as numbers, repeatable ones as lists, defaults applied). Undeclared parameters
 * are not in it, and reading one does not compile.
 */
export type QueryOf<S extends RouteSpec> = S["query"] extends readonly QueryParamDoc[]
  ? { readonly [P in S["query"][number] as P["name"]]: QueryField<P> }
  : Readonly<Record<never, never>>;

/** The `{name}`s of a path template. */
type TemplateNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | TemplateNames<Rest> : never;

type WildcardOf<S extends RouteSpec> = S extends { readonly wildcard: infer W extends string } ? W : never;

/**
 * What the handler's `req.params` is: one string per `{name}` of the declared path (the wildcard
 * one, spanning segments, is Express's list of segments). A path built from a non-literal string
 * cannot be read at the type level and stays a plain dictionary.
 */
export type ParamsOf<S extends RouteSpec> = string extends S["path"]
  ? Params
  : { readonly [N in TemplateNames<S["path"]>]: N extends WildcardOf<S> ? string[] : string };

/** A route's handler: `req.params`, `req.body` and `req.query` typed from the route's declaration. */
export type RouteHandler<S extends RouteSpec> = RequestHandler<ParamsOf<S>, unknown, BodyOf<S>, QueryOf<S>>;

export class RouteTable {
  private readonly specs: RouteSpec[] = [];
  private readonly patterns: { readonly spec: RouteSpec; readonly re: RegExp }[] = [];

  get routes(): readonly RouteSpec[] {
    return this.specs;
  }

  /** Methods registered for a concrete request path (for 405 answers). */
  methodsFor(path: string): HttpMethod[] {
    return [...new Set(this.patterns.filter((p) => p.re.test(path)).map((p) => p.spec.method))];
  }

  /**
   * Records the spec and mounts the handlers on `router` at the matching Express path, with the
   * request's validation against the spec (query parameters, TypeBox body) before the last handler,
   * which gets `req.body` typed as the body schema's `Static<>` and `req.query` as {@link QueryOf}.
   */
  add<const S extends RouteSpec>(
    router: Router,
    spec: S,
    ...handlers: [...RequestHandler<Params, unknown, BodyOf<S>>[], RouteHandler<S>]
  ): void {
    if (this.specs.some((s) => s.method === spec.method && s.path === spec.path)) {
      throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} registered twice`);
    }
    if (this.specs.some((s) => s.operationId === spec.operationId)) {
      throw new Error(`operationId ${spec.operationId} used twice`);
    }
    checkDeclaration(spec);
    const last = handlers[handlers.length - 1];
    if (!last) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} has no handler`);
    // The request is checked against the declaration after the body is read, right before the handler,
    // which then sees only the declared, parsed query (see QueryOf).
    const chain = [...handlers.slice(0, -1), requestValidator(spec), last] as RequestHandler[];
    this.specs.push(spec);
    this.patterns.push({ spec, re: templateRegExp(spec) });
    router[spec.method](expressPath(spec), ...chain);
  }
}
