/** Path templates (`/credentials/{id}/test`) compiled to segment matchers. */

/** Matches split path segments; returns the parameters, or undefined when the path differs. */
export type PathMatcher = (segments: readonly string[]) => Record<string, string> | undefined;

/** Compiles a template: literal segments match exactly, `{name}` matches one non-empty segment. */
export function compilePath(template: string): PathMatcher {
  const parts = template
    .split("/")
    .filter(Boolean)
    .map((part) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      return name !== undefined ? { name } : { literal: part };
    });
  return (segments) => {
    if (segments.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index]!;
      const segment = segments[index]!;
      if ("literal" in part) {
        if (part.literal !== segment) return undefined;
      } else {
        if (!segment) return undefined;
        params[part.name] = segment;
      }
    }
    return params;
  };
}

/**
 * The decoded segments of a path below `prefix`, or undefined when the path is not below it or
 * a segment is not valid percent-encoding.
 */
export function pathSegments(pathname: string, prefix: string): string[] | undefined {
  if (prefix && pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return undefined;
  const rest = pathname.slice(prefix.length);
  try {
    return rest.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}
