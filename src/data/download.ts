/**
 * Downloading a data set archive: streamed to a temporary `.part` file with a
 * progress bar, its MD5 checked, renamed into place only when complete and
 * correct, then extracted into a temporary folder that is renamed into place.
 * Nothing half-written is ever left where a loader would find it.
 */
import cliProgress from "cli-progress";
import { md5File } from "./md5.ts";
import { extractTarGz } from "./tar.ts";

/** Options of {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** Expected hex MD5 (checked before the rename). */
  md5?: string;
  /** Seconds to wait for the server's first answer (default 30). */
  connectTimeoutSeconds?: number;
  /** Hide the progress bar. */
  quiet?: boolean;
}

/** Downloads `url` to `destination` atomically; returns the path. */
export async function downloadFile(
  url: string,
  destination: string,
  options: DownloadOptions = {},
): Promise<string> {
  const part = `${destination}.part`;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(),
    (options.connectTimeoutSeconds ?? 30) * 1000,
  );
  let response: Response;
  try {
    response = await fetch(url, { signal: controller.signal });
  } catch (error) {
    throw new Error(`could not download ${url}: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) {
    throw new Error(
      `could not download ${url}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  const total = Number(response.headers.get("content-length") ?? 0);
  const bar = options.quiet ? null : new cliProgress.SingleBar({
    format: "download [{bar}] {percentage}% {value}/{total} MB, ETA {eta}s",
  }, cliProgress.Presets.shades_classic);
  bar?.start(Math.max(1, Math.round(total / 1e6)), 0);
  let received = 0;
  try {
    using file = await Deno.open(part, {
      write: true,
      create: true,
      truncate: true,
    });
    const writer = file.writable.getWriter();
    for await (const chunk of response.body) {
      await writer.write(chunk);
      received += chunk.length;
      bar?.update(Math.round(received / 1e6));
    }
    await writer.close();
  } catch (error) {
    await Deno.remove(part).catch(() => {});
    throw new Error(
      `download of ${url} broke off after ${received} bytes: ${
        (error as Error).message
      }`,
    );
  } finally {
    bar?.stop();
  }
  if (options.md5) {
    const md5 = await md5File(part);
    if (md5 !== options.md5) {
      await Deno.remove(part).catch(() => {});
      throw new Error(
        `${url}: downloaded file has md5 ${md5}, expected ${options.md5}; try again`,
      );
    }
  }
  await Deno.rename(part, destination);
  return destination;
}

/**
 * Extracts a .tar.gz into `dataDir` so that its top folder `folder` appears
 * whole or not at all.
 */
export async function extractInto(
  archive: string,
  dataDir: string,
  folder: string,
): Promise<string> {
  const staging = await Deno.makeTempDir({ dir: dataDir, prefix: ".extract-" });
  try {
    await extractTarGz(archive, staging);
    const target = `${dataDir}/${folder}`;
    await Deno.remove(target, { recursive: true }).catch(() => {});
    await Deno.rename(`${staging}/${folder}`, target);
    return target;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}
