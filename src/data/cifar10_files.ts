/**
 * CIFAR-10's files on disk: the download into a data folder and the md5 check
 * of every file, each printing what it found and returning an exit status.
 */
import {
  CIFAR10_ARCHIVE,
  CIFAR10_FILES,
  findCifar10Folder,
  verifyCifar10,
} from "./cifar10.ts";
import { downloadFile, extractInto } from "./download.ts";

/** Checks CIFAR-10's files in `dataDir` (or the folder itself); 0 when all are good. */
export async function verifyCifar10Files(dataDir: string): Promise<number> {
  const folder = findCifar10Folder(dataDir);
  if (!folder) {
    console.error(
      `verify cifar10: no ${CIFAR10_ARCHIVE.folder}/ in ${dataDir}; run \`deno task data cifar10\` or point --data-dir at the folder that holds it`,
    );
    return 1;
  }
  const problems = await verifyCifar10(folder);
  for (const p of problems) console.error(`${p.path}: ${p.problem}`);
  if (problems.length > 0) {
    console.error(
      `verify cifar10: ${problems.length} of ${CIFAR10_FILES.length} files are bad; download again with \`deno task data cifar10\``,
    );
    return 1;
  }
  console.log(
    `verify cifar10: ok, ${CIFAR10_FILES.length} files in ${folder} have the right sizes and md5s`,
  );
  return 0;
}

/** Downloads and unpacks CIFAR-10 into `dataDir` unless it is there and good. */
export async function downloadCifar10(dataDir: string): Promise<number> {
  await Deno.mkdir(dataDir, { recursive: true });
  const existing = findCifar10Folder(dataDir);
  if (existing && (await verifyCifar10(existing)).length === 0) {
    console.log(`cifar10: already present and verified in ${existing}`);
    return 0;
  }
  const archive = `${dataDir}/cifar-10-binary.tar.gz`;
  try {
    await downloadFile(CIFAR10_ARCHIVE.url, archive, {
      md5: CIFAR10_ARCHIVE.md5,
    });
  } catch (error) {
    console.error(
      `${
        (error as Error).message
      }\nWithout network access, fetch ${CIFAR10_ARCHIVE.url} (md5 ${CIFAR10_ARCHIVE.md5}) elsewhere and unpack it so that ${dataDir}/${CIFAR10_ARCHIVE.folder}/data_batch_1.bin exists, or point PCDARTS_DATA_DIR / --data-dir at a folder that holds ${CIFAR10_ARCHIVE.folder}/.`,
    );
    return 1;
  }
  const folder = await extractInto(archive, dataDir, CIFAR10_ARCHIVE.folder);
  await Deno.remove(archive);
  return await verifyCifar10Files(folder);
}
