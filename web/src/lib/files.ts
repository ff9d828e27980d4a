// Files in and out of the API: FileDownload (base64) saved by the browser, and a chosen file
// read as base64 for an upload input. No token or URL with a token is involved.

export interface FileDownloadLike {
  contentBase64: string;
  fileName: string;
  mimeType: string;
}

/** Save a FileDownload the API returned (e.g. the ledger .xlsx or a notice .docx). */
export function saveDownload(file: FileDownloadLike): number {
  const bytes = Uint8Array.from(atob(file.contentBase64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return bytes.length;
}

/** A chosen file as base64 (no data: prefix), reporting read progress 0–100. */
export function readBase64(file: File, progress?: (percent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (e) => {
      if (e.lengthComputable && progress) progress(Math.round((e.loaded / e.total) * 100));
    };
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.onload = () => {
      const result = String(reader.result);
      resolve(result.slice(result.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}

export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
}
