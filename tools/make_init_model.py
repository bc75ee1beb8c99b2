#!/usr/bin/python3
"""Write the untrained (randomly initialised) demo architecture as TorchScript, the starting point
of `lwise train`. Java cannot define a network's architecture, so it starts from a scripted module.

    /usr/bin/python3 tools/make_init_model.py --out demo/models/fashion-cnn-init
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from train_demo_classifier import CLASSES, MEAN, STD, FashionCnn  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = FashionCnn().eval()
    os.makedirs(a.out, exist_ok=True)
    # Scripted, not traced: a traced module bakes BatchNorm's train/eval behaviour in.
    torch.jit.script(model).save(os.path.join(a.out, "fashion-cnn-init.pt"))
    card = {"id": "fashion-cnn-init", "file": "fashion-cnn-init.pt", "input_size": 28, "mean": MEAN, "std": STD,
            "num_classes": 10, "class_names": CLASSES, "robust": False,
            "training": {"note": "untrained; the starting point of lwise train",
                         "command": f"/usr/bin/python3 tools/make_init_model.py --out {a.out} --seed {a.seed}"}}
    with open(os.path.join(a.out, "model-card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
