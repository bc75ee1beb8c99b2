#!/usr/bin/python3
"""Times the reference loop in PyTorch and `lwise bench` on the same TorchScript model, images,
conditions and thread count, one after the other in one run, and prints their ratio.

Compute only: the published eps sweep as separate trajectories, the reference's way, in both. End to
end for the sweep: `lwise bench`'s shared trajectories (what the worker runs) vs the reference's
separate loops, i.e. what a user of either gets for the same published sweep.

    /usr/bin/python3 tools/compare_reference.py --model method/src/test/resources/models/slim-resnet18 \\
        --images method/src/test/resources/reference/images --count 8 --batch 8 --threads 1

Run with Debian's PyTorch (/usr/bin/python3), as for the fixtures. `--lwise` names the command
that runs the launcher (default ./lwise).
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_reference import enhance, preprocess  # noqa: E402

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def images_of(folder, count):
    # The order `lwise bench` uses: every regular file under the folder, sorted by path.
    files = []
    for root, _, names in os.walk(folder):
        files.extend(os.path.join(root, n) for n in names)
    return sorted(f for f in files if f.lower().endswith(IMAGE_SUFFIXES))[:count]


def reference_seconds(model, card, x0, eps_list, objective, batch):
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    k = card["num_classes"]
    present = list(range(min(k, 4)))
    labels = [present[i % len(present)] for i in range(len(x0))]

    def run(conditions, images):
        for eps in conditions:
            steps = max(1, round(2 * eps))
            for start in range(0, len(images), batch):
                xb = images[start:start + batch]
                yb = torch.tensor(labels[start:start + len(xb)])
                diverge = [[c for c in present if c != int(y)] for y in yb]
                enhance(model, mean, std, xb, yb, eps, 0.5, steps, objective, diverge, False)

    run(eps_list[:1], x0[:1])  # warm-up, as lwise bench does
    t0 = time.perf_counter()
    run(eps_list, x0)
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="model card folder")
    p.add_argument("--images", required=True)
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--eps", default="0.25,0.5,1,2,4,8")
    p.add_argument("--objective", default="logit_diverge")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lwise", default="./lwise")
    a = p.parse_args()
    eps_list = [float(e) for e in a.eps.split(",")]
    with open(os.path.join(a.model, "model-card.json")) as f:
        card = json.load(f)
    files = images_of(a.images, a.count)
    size = card["input_size"]
    x0 = torch.stack([torch.from_numpy(preprocess(f, size).copy()).permute(2, 0, 1).float() / 255 for f in files])

    torch.set_num_threads(a.threads)
    model = torch.jit.load(os.path.join(a.model, card["file"])).eval()
    for param in model.parameters():
        param.requires_grad_(False)
    python_seconds = reference_seconds(model, card, x0, eps_list, a.objective, a.batch)

    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    command = shlex.split(a.lwise) + ["bench", "--model", a.model, "--images", a.images, "--count", str(a.count),
                                      "--eps", a.eps, "--objective", a.objective, "--batch", str(a.batch),
                                      "--batch-sizes", str(a.batch)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    out = done.stdout
    times = dict(re.findall(r"^(separate|shared)\s+\d+\s+\d+\s+\d+\s+([\d.]+)", out, re.M))
    java_separate, java_shared = float(times["separate"]), float(times["shared"])

    print(f"Model {card['id']} ({size} px), {len(files)} images, eps {a.eps}, {a.objective}, step 0.5, "
          f"steps 2*eps, batch {a.batch}, {a.threads} thread(s); torch {torch.__version__}, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'':34} {'seconds':>9}")
    print(f"{'PyTorch reference loop (separate)':34} {python_seconds:9.2f}")
    print(f"{'lwise bench, separate':34} {java_separate:9.2f}")
    print(f"{'lwise bench, shared (published)':34} {java_shared:9.2f}")
    print(f"compute only (same trajectories): lwise / PyTorch = {java_separate / python_seconds:.2f}")
    print(f"published sweep end to end (shared vs the reference's separate loops): "
          f"lwise / PyTorch = {java_shared / python_seconds:.2f}")


if __name__ == "__main__":
    main()
