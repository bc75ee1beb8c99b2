#!/usr/bin/python3
"""Write a near-zero-cost 224 px TorchScript classifier for plumbing benchmarks: a 1x1 convolution
to 7 channels, squared and averaged over the image (about 1 M multiply-adds per image, vs ~0.3 G for
the slim ResNet). Its input gradient is image-shaped (2 * conv(x) * w per pixel), so enhanced
outputs change pixel by pixel and compress like real ones; the model itself costs next to nothing,
so a pipeline run with it measures the plumbing alone.

    /usr/bin/python3 tools/make_tiny_model.py --out method/src/test/resources/models/tiny-224
"""
import argparse
import json
import os

import torch


class TinyPool(torch.nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.mix = torch.nn.Conv2d(3, classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.mix(x) ** 2).mean(dim=(2, 3))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = TinyPool(7).eval()
    os.makedirs(a.out, exist_ok=True)
    torch.jit.script(model).save(os.path.join(a.out, "tiny-224.pt"))
    card = {"id": "tiny-224", "file": "tiny-224.pt", "input_size": 224,
            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "num_classes": 7,
            "class_names": ["c0", "c1", "c2", "c3", "c4", "c5", "c6"], "robust": False,
            "training": {"note": "random weights, near-zero cost; for plumbing benchmarks only",
                         "command": f"/usr/bin/python3 tools/make_tiny_model.py --out {a.out} --seed {a.seed}"}}
    with open(os.path.join(a.out, "model-card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
