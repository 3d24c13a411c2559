import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { parseGenotype, validateSearchedCell } from "../space/genotype.ts";
import { turboJpegAvailable } from "../data/jpeg/turbojpeg.ts";
import { writeJpegTree } from "../testing/jpeg_tree.ts";
import { killAfterFirstEpoch } from "../testing/interrupt.ts";
import { cliCommand, runCli } from "../testing/cli_command.ts";

const searchCommand = (args: string[]) => cliCommand("search.ts", args);
const search = (args: string[]) => runCli("search.ts", args);
const train = (args: string[]) => runCli("train.ts", args);

Deno.test({
  name:
    "the ImageNet smoke search on a tree of JPEGs (grayscale, CMYK, a truncated and a garbage file among them) ends with a valid genotype and resumes to the same rows",
  ignore: !turboJpegAvailable(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const tree = writeJpegTree(join(dir, "tree"), {
        classes: 3,
        perClass: 40,
        damaged: true,
      });
      const whole = join(dir, "whole");
      const args = ["imagenet", "--size", "smoke", "--data-dir", tree.root];
      const first = await search([...args, "--out", whole, "--quiet"]);
      assert.equal(first.code, 0, first.text);
      const genotype = parseGenotype(
        await Deno.readTextFile(join(whole, "genotype.json")),
        "genotype.json",
      );
      validateSearchedCell(genotype.normal);
      validateSearchedCell(genotype.reduce);
      // The subsets: 10 % and 2.5 % of each class, written with the run.
      const subsets = parse(
        await Deno.readTextFile(join(whole, "subsets.csv")),
        { columns: true },
      ) as Record<string, string>[];
      const count = (subset: string) =>
        subsets.filter((r) => r.subset === subset).length;
      assert.equal(count("weights"), 3 * 4);
      assert.equal(count("architecture"), 3);
      const config = JSON.parse(
        await Deno.readTextFile(join(whole, "config.json")),
      ).config;
      assert.equal(config.partialChannels, 2);
      assert.equal(config.stem, "imagenet");
      // Killed after an epoch and resumed: the same rows and genotype.
      const broken = join(dir, "broken");
      await killAfterFirstEpoch(
        searchCommand([...args, "--out", broken]),
        broken,
      );
      const resumed = await search(["--resume", broken, "--quiet"]);
      assert.equal(resumed.code, 0, resumed.text);
      const rows = async (d: string) =>
        (parse(await Deno.readTextFile(join(d, "epochs.csv")), {
          columns: true,
        }) as Record<string, string>[]).map((r) => [
          r.train_loss,
          r.valid_loss,
          r.genotype,
        ]);
      assert.deepEqual(await rows(broken), await rows(whole));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a damaged JPEG in the search's subsets is named with its path and skipped",
  ignore: !turboJpegAvailable(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const tree = writeJpegTree(join(dir, "tree"), {
        classes: 2,
        perClass: 20,
        damaged: true,
      });
      // A manifest whose weight images include the truncated file.
      const manifest = join(dir, "subsets.csv");
      const label = 1;
      await Deno.writeTextFile(
        manifest,
        `subset,label,wnid,path\nweights,${label},${
          tree.classes[label]
        },${tree.truncated}\n` +
          `weights,0,${tree.classes[0]},${tree.gray}\n` +
          `weights,0,${tree.classes[0]},${tree.cmyk}\n` +
          `architecture,0,${tree.classes[0]},train/${tree.classes[0]}/${
            tree.classes[0]
          }_train_0.JPEG\n`,
      );
      const out = await search([
        "imagenet",
        "--size",
        "smoke",
        "--data-dir",
        tree.root,
        "--subsets",
        manifest,
        "--out",
        join(dir, "run"),
        "--quiet",
      ]);
      assert.equal(out.code, 0, out.text);
      assert.match(
        out.text,
        new RegExp(`skipped .*${tree.truncated}: damaged: Premature end`),
      );
      assert.match(out.text, /skipped 1 files that did not decode/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("train --dataset imagenet --count-params prints NetworkImageNet's reference counts", async () => {
  const out = await train([
    "--dataset",
    "imagenet",
    "--genotype",
    "PC_DARTS_image",
    "--count-params",
  ]);
  assert.equal(out.code, 0, out.text);
  assert.match(out.text, /multiply-adds: 581627328 \(one 224x224 image/);
  assert.match(out.text, /params: 5342464/);
});

Deno.test({
  name:
    "the ImageNet smoke training on a tree of JPEGs ends with a top-1 and a top-5 error, skipping the damaged files",
  ignore: !turboJpegAvailable(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const tree = writeJpegTree(join(dir, "tree"), {
        classes: 6,
        perClass: 6,
        damaged: true,
      });
      const out = await train([
        "--dataset",
        "imagenet",
        "--size",
        "smoke",
        "--genotype",
        "PC_DARTS_image",
        "--data-dir",
        tree.root,
        "--out",
        join(dir, "run"),
        "--quiet",
      ]);
      assert.equal(out.code, 0, out.text);
      assert.match(
        out.text,
        /test error: \d+\.\d\d% \(top-5 \d+\.\d\d%\) \(final epoch, 12 test images\)/,
      );
      assert.match(out.text, /skipped 2 files that did not decode/);
      const rows = parse(
        await Deno.readTextFile(join(dir, "run", "epochs.csv")),
        { columns: true },
      ) as Record<string, string>[];
      assert.equal(rows.length, 2);
      assert.ok(Number(rows[1].test_top5_acc) >= Number(rows[1].test_acc));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
