/** ISO 8601 with a date and, optionally, a time and a zone (`2026-01-02`, `2026-01-02T03:04:05Z`, `…+02:00`). */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
