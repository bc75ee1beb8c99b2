#!/usr/bin/python3
"""Train a small standard Fashion-MNIST classifier in PyTorch and save it as TorchScript plus a
model card. It is the parity tests' trained CNN (method/src/test/resources/models/fashion-cnn);
the demo's models are trained in Java with `lwise train` (README, "Robust models").

Runs with Debian's PyTorch (apt-get install python3-torch), NOT the pyenv python3 first on PATH:

    /usr/bin/python3 tools/train_demo_classifier.py --out method/src/test/resources/models/fashion-cnn

It trains on the full Fashion-MNIST train split (Debian package dataset-fashion-mnist) with plain
SGD: a standard, non-robust model. It also defines the demo architecture (FashionCnn) that
tools/make_init_model.py writes untrained.
The model takes normalized 3x28x28 input (normalization lives in the model card and is applied by
L-WISE Stream, exactly as the reference applies it outside the network).
"""
import argparse
import gzip
import json
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN = [0.2860, 0.2860, 0.2860]
STD = [0.3530, 0.3530, 0.3530]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    return data.reshape(dims)


class FashionCnn(nn.Module):
    """Three conv blocks and a linear head; about 60k parameters."""

    def __init__(self, width: int = 16, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * width)
        self.conv3 = nn.Conv2d(2 * width, 4 * width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.fc = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def to_input(images_u8):
    x = images_u8.float().div(255.0).unsqueeze(1).expand(-1, 3, -1, -1)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    xtr = read_idx(f"{DATA}/train-images-idx3-ubyte.gz")
    ytr = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").long()
    xte = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")
    yte = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").long()
    model = FashionCnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    steps = a.epochs * (len(xtr) // a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(len(xtr) // a.batch):
            idx = perm[i * a.batch:(i + 1) * a.batch]
            loss = F.cross_entropy(model(to_input(xtr[idx])), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = evaluate(model, xte, yte)
        print(f"epoch {epoch + 1}/{a.epochs} loss {loss.item():.3f} test acc {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(a.out, "fashion-cnn.pt"))
    card = {
        "id": "fashion-cnn",
        "file": "fashion-cnn.pt",
        "input_size": 28,
        "mean": MEAN,
        "std": STD,
        "num_classes": 10,
        "class_names": CLASSES,
        "robust": False,
        "training": {
            "data": "Fashion-MNIST train split, 60000 images (Debian dataset-fashion-mnist)",
            "command": "/usr/bin/python3 tools/train_demo_classifier.py --out " + a.out
                       + f" --epochs {a.epochs} --batch {a.batch} --seed {a.seed}",
            "eps": 0.0,
            "clean_test_accuracy": round(acc, 4),
        },
    }
    with open(os.path.join(a.out, "model-card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"saved {a.out}/fashion-cnn.pt, test accuracy {acc:.4f}")


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    correct = 0
    for i in range(0, len(x), 1000):
        correct += (model(to_input(x[i:i + 1000])).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


if __name__ == "__main__":
    main()
