import { ApiError, requestJson } from "./http.js";

/**
 * Import and export (`/io/*`: Pixano 0.8's routes plus Tessera's zip/folder uploads and export
 * download). Shapes are Pixano's: `IoFormat`, `ImportPlan`, `IoJob`.
 */

export interface IoFormat {
  readonly name: string;
  readonly title: string;
  readonly can_import: boolean;
  readonly can_export: boolean;
}

interface Provenance {
  readonly file: string | null;
  readonly line: number | null;
  readonly json_pointer: string | null;
}

export interface Finding {
  readonly code: string;
  readonly severity: "error" | "warning" | "info";
  readonly count: number;
  readonly samples: readonly Provenance[];
  readonly message?: string;
}

export interface ImportPlan {
  readonly plan_id: string;
  readonly format: string;
  readonly splits: Readonly<Record<string, number | null>>;
  readonly totals: { readonly records: number | null };
  readonly report: { readonly findings: Readonly<Record<string, Finding>> };
  readonly table_counts?: Readonly<Record<string, number>>;
  readonly target?: {
    readonly name: string;
    readonly folder: string;
    readonly workspace: string;
    readonly mode: string;
  } | null;
}

export interface IoJob {
  readonly job_id: string;
  readonly kind: "import" | "export";
  readonly dataset: string;
  readonly status: "pending" | "running" | "done" | "error" | "cancelled";
  readonly progress: {
    readonly phase?: string;
    readonly done?: number;
    readonly total?: number | null;
    readonly table_counts?: Readonly<Record<string, number>>;
    readonly message?: string;
  };
  readonly error: { readonly type?: string; readonly message?: string };
  readonly created_at: number;
  readonly updated_at: number;
}

export interface UploadSummary {
  readonly upload_id: string;
  readonly source: string;
  readonly files: number;
  readonly bytes: number;
}

export interface ImportSpec {
  readonly dataset?: { readonly name?: string };
  readonly format?: string;
  readonly mode?: "create" | "add";
}

export const listIoFormats = (): Promise<IoFormat[]> => requestJson("/io/formats");

export const analyzeSource = (source: string, spec: ImportSpec): Promise<ImportPlan> =>
  requestJson("/io/analyze", { method: "POST", body: { source, spec } });

export const startImport = (planId: string, source: string, spec: ImportSpec): Promise<IoJob> =>
  requestJson("/io/imports", { method: "POST", body: { plan_id: planId, source, spec } });

export type ExportFormat = "pixano_jsonl" | "coco";

export const startExport = (
  dataset: string,
  destination: string,
  media: "files" | "uris",
  format: ExportFormat = "pixano_jsonl",
): Promise<IoJob> => requestJson("/io/exports", { method: "POST", body: { dataset, destination, format, media } });

export const getIoJob = (id: string): Promise<IoJob> => requestJson(`/io/jobs/${encodeURIComponent(id)}`);

export const cancelIoJob = (id: string): Promise<IoJob> =>
  requestJson(`/io/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" });

export const exportDownloadUrl = (id: string): string => `/io/jobs/${encodeURIComponent(id)}/download`;

/**
 * Uploads a zip or a folder's files in one multipart request (XHR, for upload progress). Folder
 * files carry their relative path (`webkitRelativePath`) as the part's filename.
 */
export function uploadFiles(
  kind: "archive" | "folder",
  files: readonly File[],
  onProgress: (sent: number, total: number) => void,
): Promise<UploadSummary> {
  const form = new FormData();
  for (const f of files) form.append("file", f, kind === "folder" ? f.webkitRelativePath || f.name : f.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/io/uploads/${kind}`);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch (err) {
        reject(new ApiError(xhr.status, `the server answered ${xhr.status} (${String(err)})`, `/io/uploads/${kind}`));
        return;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadSummary);
      else {
        const detail =
          body && typeof body === "object" && "detail" in body
            ? String((body as { detail: unknown }).detail)
            : `HTTP ${xhr.status}`;
        reject(new ApiError(xhr.status, detail, `/io/uploads/${kind}`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "the upload was interrupted (network error)", `/io/uploads/${kind}`));
    xhr.send(form);
  });
}
