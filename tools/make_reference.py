#!/usr/bin/python3
"""Reference results for the parity tests, computed with PyTorch and PIL exactly as SPEC.md states.

Run with Debian's PyTorch (apt-get install python3-torch python3-torchvision python3-pil), i.e. the
system interpreter, not the pyenv python3 that may come first on PATH:

    /usr/bin/python3 tools/make_reference.py --out method/src/test/resources/reference

It writes, for each committed model and test image:
  - the preprocessed 8-bit crop (PIL convert('RGB') -> torchvision Resize(size) -> CenterCrop(size)),
  - the logits at x0,
  - for each enhancement condition: the loss at every iterate, the chosen best iterate, and the
    final image as float16 and as 8-bit (floor(x*255 + 0.5));
and, for JPEGs tagged with an ICC profile (which PIL ignores), each model's crop and logits.
Arrays are raw little-endian float32 / uint8 files; index.json describes them. CI never runs this
script: its outputs are committed.

A full run rewrites every fixture. The float results (logits, losses, iterates) depend on the machine's
float rounding at the 1e-6 level, so a run on another machine changes every committed value slightly;
to add a section without touching the others, name it:

    /usr/bin/python3 tools/make_reference.py --out method/src/test/resources/reference --only icc_tagged

writes only that section's images and arrays and its entry in index.json, keeping the rest as committed.
"""
import argparse
import gzip
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageCms
from torchvision import transforms

torch.set_num_threads(1)


def save(array, path):
    """Raw little-endian array, gzip-compressed (the parity test reads it with GZIPInputStream)."""
    with gzip.open(path + ".gz", "wb", compresslevel=9) as f:
        f.write(array.tobytes())


# ---------------------------------------------------------------- models
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.down is None else self.down(x)
        return F.relu(out + identity)


class SlimResNet18(nn.Module):
    """ResNet-18's shape (stem, 4 stages of 2 basic blocks, global pool, linear) at 1/8 width."""

    def __init__(self, num_classes=7, width=8):
        super().__init__()
        w = [width, 2 * width, 4 * width, 8 * width]
        self.stem = nn.Sequential(nn.Conv2d(3, w[0], 7, 2, 3, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers = []
        cin = w[0]
        for i, c in enumerate(w):
            layers.append(BasicBlock(cin, c, 1 if i == 0 else 2))
            layers.append(BasicBlock(c, c, 1))
            cin = c
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(w[3], num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def make_resnet(folder):
    """A randomly initialised slim ResNet-18 with non-trivial BatchNorm statistics (parity needs no training)."""
    torch.manual_seed(7)
    model = SlimResNet18()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    model.eval()
    os.makedirs(folder, exist_ok=True)
    torch.jit.script(model).save(os.path.join(folder, "slim-resnet18.pt"))
    card = {"id": "slim-resnet18", "file": "slim-resnet18.pt", "input_size": 224,
            "mean": [0.76498, 0.57012, 0.59907], "std": [0.12553, 0.14498, 0.15726],
            "num_classes": 7, "class_names": ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"],
            "robust": False,
            "training": {"note": "random weights, ResNet-18 shape at 1/8 width; for parity tests only",
                         "command": "/usr/bin/python3 tools/make_reference.py"}}
    with open(os.path.join(folder, "model-card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------- test images
def make_images(folder, fashion_png):
    """Inputs covering the decoder's cases: grayscale JPEG, RGBA PNG, 16-bit PNG, TIFF, non-square."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.RandomState(3)
    yy, xx = np.mgrid[0:300, 0:400]
    rgb = np.stack([(xx * 255 / 399), (yy * 255 / 299), ((xx + yy) % 97) * 2.6], -1)
    rgb = (rgb + rng.normal(0, 12, rgb.shape)).clip(0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(folder, "wide_rgb.png"))                       # non-square, 400x300
    Image.fromarray(rgb[:, :250]).save(os.path.join(folder, "tall_rgb.tif"))              # TIFF, 250x300
    Image.fromarray(rgb.mean(-1).astype(np.uint8)[:260, :240]).save(
        os.path.join(folder, "gray.jpg"), quality=90)                                     # grayscale JPEG
    rgba = np.concatenate([rgb[:200, :200], (xx[:200, :200] % 256).astype(np.uint8)[..., None]], -1)
    Image.fromarray(rgba, "RGBA").save(os.path.join(folder, "rgba.png"))                  # RGBA PNG
    g16 = (yy[:230, :230] * 3).astype(np.uint16)                                          # values up to 687
    Image.fromarray(g16).save(os.path.join(folder, "gray16.png"))                         # 16-bit PNG
    Image.open(fashion_png).save(os.path.join(folder, "fashion.png"))                    # real 28x28 gray
    Image.fromarray(rgb[:280, :330]).save(os.path.join(folder, "color.jpg"), quality=85)  # colour JPEG, 4:2:0
    Image.fromarray(rgb[:150, :190]).save(os.path.join(folder, "rgb.bmp"))                # BMP
    Image.fromarray(rgb[:170, :210]).convert("P", palette=Image.ADAPTIVE, colors=64).save(
        os.path.join(folder, "palette.png"))                                              # palette PNG
    make_icc_images(folder)


def linear_rgb_profile():
    """A minimal ICC v2 display profile: sRGB primaries (D50-adapted, as in sRGB profiles) with linear
    tone curves, i.e. linear-light RGB. ImageCms only builds sRGB, Lab and XYZ profiles, so it is written
    here field by field (ICC.1:2001-04); lcms and Java's ICC_Profile both accept it."""
    def s15f16(v):
        return struct.pack(">i", int(round(v * 65536)))

    def xyz(x, y, z):
        return b"XYZ " + bytes(4) + s15f16(x) + s15f16(y) + s15f16(z)

    def text_description(text):  # ASCII part, then empty Unicode and ScriptCode parts
        ascii_ = text.encode("ascii") + b"\0"
        return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(8) + bytes(3) + bytes(67)

    identity = b"curv" + bytes(4) + struct.pack(">I", 0)  # a curve with no entries is the identity (gamma 1)
    tags = [(b"desc", text_description("Linear RGB, sRGB primaries (L-WISE Stream test fixture)")),
            (b"cprt", b"text" + bytes(4) + b"No copyright, use freely\0"),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.4360747, 0.2225045, 0.0139322)),
            (b"gXYZ", xyz(0.3850649, 0.7168786, 0.0971045)),
            (b"bXYZ", xyz(0.1430804, 0.0606169, 0.7141733)),
            (b"rTRC", identity), (b"gTRC", identity), (b"bTRC", identity)]
    table, data = b"", b""
    start = 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        body += bytes(-len(body) % 4)  # tags start on 4-byte boundaries
        table += sig + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (struct.pack(">I", start + len(data)) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + bytes(12) + b"acsp" + bytes(28) + s15f16(0.9642) + s15f16(1.0) + s15f16(0.8249) + bytes(48))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def make_icc_images(folder):
    """The same small colour JPEG (4:2:0) twice, tagged with an sRGB and with a linear-RGB ICC profile.
    PIL ignores the profile (SPEC.md), so both decode to the same pixels as the untagged file would;
    a colour-managing decoder changes the first by a level here and there and the second a lot."""
    yy, xx = np.mgrid[0:96, 0:120]
    rgb = np.stack([xx * 255 / 119, yy * 255 / 95, ((xx + yy) % 37) * 6.9], -1).clip(0, 255).astype(np.uint8)
    srgb = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    srgb[24:36] = bytes(12)  # lcms stamps the creation time (and leaves the profile ID unset): same file every run
    Image.fromarray(rgb).save(os.path.join(folder, "icc_srgb.jpg"), quality=85, icc_profile=bytes(srgb))
    Image.fromarray(rgb).save(os.path.join(folder, "icc_linear.jpg"), quality=85, icc_profile=linear_rgb_profile())


# ---------------------------------------------------------------- method
def preprocess(path, size):
    img = Image.open(path).convert("RGB")
    img = transforms.CenterCrop(size)(transforms.Resize(size)(img))
    return np.asarray(img, dtype=np.uint8)  # HWC


def loss_fn(logits, y, objective, diverge):
    zy = logits.gather(1, y.view(-1, 1)).squeeze(1)
    if objective == "logit":
        return -zy
    if objective == "cross_entropy":
        return F.cross_entropy(logits, y, reduction="none")
    others = torch.stack([logits[i, d].mean() for i, d in enumerate(diverge)])
    return -(zy - others)


def enhance(model, mean, std, x0, y, eps, step, steps, objective, diverge, attack, record=()):
    """SPEC.md's loop for a batch, returning best images, best step, every iterate's loss, and the
    iterates x_t of image 0 for t in `record` (for the one-step parity check)."""
    sign = -1.0 if attack else 1.0

    def losses(x):
        logits = model((torch.clamp(x, 0, 1) - mean) / std)
        return sign * loss_fn(logits, y, objective, diverge)

    x = x0.clone()
    best = x0.clone()
    with torch.no_grad():
        best_loss = losses(x0)
    best_step = torch.zeros(len(x0), dtype=torch.long)
    history = []
    recorded = {}
    for t in range(steps):
        if t in record:
            recorded[t] = x[0].detach().clone()
        x = x.clone().detach().requires_grad_(True)
        L = losses(x)
        g, = torch.autograd.grad(L.mean(), [x])
        history.append((sign * L).detach().clone())
        with torch.no_grad():
            better = L < best_loss
            best[better] = x[better]
            best_loss = torch.where(better, L, best_loss)
            best_step[better] = t
            gn = g.reshape(len(g), -1).norm(dim=1).view(-1, 1, 1, 1)
            x = x - (g / (gn + 1e-10)) * step
            delta = (x - x0).renorm(p=2, dim=0, maxnorm=eps)
            x = torch.clamp(x0 + delta, 0, 1)
        if t + 1 in record:
            recorded[t + 1] = x[0].detach().clone()
    with torch.no_grad():
        L = losses(x)
        history.append((sign * L).clone())
        better = L < best_loss
        best[better] = x[better]
        best_step[better] = steps
    return best, best_step, torch.stack(history, 1), recorded


PREPROCESS_ONLY = ["color.jpg", "rgb.bmp", "palette.png"]
ICC_TAGGED = ["icc_srgb.jpg", "icc_linear.jpg"]
ONE_STEP = {("slim-resnet18", 2): (7,), ("slim-resnet18", 3): (11,)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--models", default="method/src/test/resources/models")
    p.add_argument("--fashion", default="demo/fashion-mnist/images/ankle-boot/t10k-0.png")
    p.add_argument("--only", choices=["icc_tagged"],
                   help="write only this section (images, arrays, index entry); keep everything else as it is")
    a = p.parse_args()
    images_dir = os.path.join(a.out, "images")
    # model -> (folder, images, labels, conditions run on it). Every condition runs on the small CNN;
    # the 224 px model covers each objective and the smallest and largest budgets, to keep fixtures small.
    models = {
        "fashion-cnn": ("method/src/test/resources/models/fashion-cnn", ["fashion.png", "gray.jpg", "wide_rgb.png"], [9, 2, 6],
                        [0, 1, 2, 3, 4, 5]),
        "slim-resnet18": (os.path.join(a.models, "slim-resnet18"),
                          ["wide_rgb.png", "tall_rgb.tif", "gray.jpg", "rgba.png", "gray16.png"], [5, 1, 4, 0, 2],
                          [0, 2, 3]),
    }
    if a.only == "icc_tagged":
        with open(os.path.join(a.out, "index.json")) as f:
            index = json.load(f)
        make_icc_images(images_dir)
        write_icc_tagged(index, models, images_dir, a.out)
        write_index(index, images_dir, a.out)
        return
    make_resnet(os.path.join(a.models, "slim-resnet18"))
    make_images(images_dir, a.fashion)
    conditions = [
        dict(eps=0.25, step=0.5, steps=1, objective="logit_diverge", diverge_from=[], attack=False),
        dict(eps=1.0, step=0.5, steps=2, objective="logit", diverge_from=[], attack=False),
        dict(eps=8.0, step=0.5, steps=16, objective="logit_diverge", diverge_from=[], attack=False),
        dict(eps=20.0, step=0.5, steps=40, objective="cross_entropy", diverge_from=[], attack=False),
        dict(eps=1.0, step=0.5, steps=4, objective="logit", diverge_from=[], attack=True),
        dict(eps=2.0, step=1.0, steps=4, objective="logit_diverge", diverge_from=[1, 3], attack=False),
    ]
    index = {"images": {}, "models": {}}
    for model_id, (folder, names, labels, which) in models.items():
        card = json.load(open(os.path.join(folder, "model-card.json")))
        size, k = card["input_size"], card["num_classes"]
        model = torch.jit.load(os.path.join(folder, card["file"])).eval()
        for prm in model.parameters():
            prm.requires_grad_(False)
        mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
        std = torch.tensor(card["std"]).view(1, 3, 1, 1)
        entry = {"folder": folder, "images": names, "labels": labels, "conditions": []}
        crops = []
        for n in names:
            crop = preprocess(os.path.join(images_dir, n), size)
            save(crop, os.path.join(a.out, f"{model_id}.{n}.crop.u8"))
            crops.append(crop)
        x0 = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div(255)
        y = torch.tensor(labels)
        with torch.no_grad():
            logits = model((x0 - mean) / std)
        save(logits.numpy().astype("<f4"), os.path.join(a.out, f"{model_id}.logits.f32"))
        present = sorted(set(labels))
        for ci, c in enumerate(conditions):
            if ci not in which:
                continue
            diverge = [list(c["diverge_from"]) or [q for q in present if q != yi] for yi in labels]
            # One-step pairs (x_t, x_t+1) of image 0 on the 224 px model: its long trajectories diverge
            # chaotically between libtorch versions, so a single step from the same x_t is compared too.
            pairs = ONE_STEP.get((model_id, ci), ())
            record = set(pairs) | {t + 1 for t in pairs}
            best, best_step, history, recorded = enhance(model, mean, std, x0, y, c["eps"], c["step"], c["steps"],
                                                         c["objective"], diverge, c["attack"], record)
            for t in sorted(recorded):
                save(recorded[t].numpy().astype("<f4"), os.path.join(a.out, f"{model_id}.c{ci}.x{t}.f32"))
            # float16 keeps the fixtures small; its rounding (<= 2.5e-4 on [0,1]) is well inside the 1e-3 tolerance.
            save(best.numpy().astype("<f2"), os.path.join(a.out, f"{model_id}.c{ci}.best.f16"))
            u8 = torch.clamp(torch.floor(best * 255 + 0.5), 0, 255).to(torch.uint8)
            save(u8.numpy(), os.path.join(a.out, f"{model_id}.c{ci}.best.u8"))
            save(history.numpy().astype("<f4"), os.path.join(a.out, f"{model_id}.c{ci}.losses.f32"))
            entry["conditions"].append(dict(c, index=ci, best_step=best_step.tolist(), classes_present=present,
                                            one_step_from=list(pairs)))
        index["models"][model_id] = entry
    # Preprocessing only (no enhancement), for the decoders' other cases, at both models' input sizes.
    index["preprocess_only"] = {"images": PREPROCESS_ONLY, "sizes": [28, 224]}
    for name in PREPROCESS_ONLY:
        for size in (28, 224):
            save(preprocess(os.path.join(images_dir, name), size), os.path.join(a.out, f"size{size}.{name}.crop.u8"))
    write_icc_tagged(index, models, images_dir, a.out)
    write_index(index, images_dir, a.out)


def write_icc_tagged(index, models, images_dir, out):
    """ICC-tagged JPEGs through each model: the preprocessed crop and the logits (no enhancement)."""
    index["icc_tagged"] = {"images": ICC_TAGGED, "models": list(models)}
    for model_id, (folder, *_rest) in models.items():
        card = json.load(open(os.path.join(folder, "model-card.json")))
        model = torch.jit.load(os.path.join(folder, card["file"])).eval()
        mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
        std = torch.tensor(card["std"]).view(1, 3, 1, 1)
        for name in ICC_TAGGED:
            crop = preprocess(os.path.join(images_dir, name), card["input_size"])
            save(crop, os.path.join(out, f"{model_id}.{name}.crop.u8"))
            x0 = torch.from_numpy(np.stack([crop])).permute(0, 3, 1, 2).float().div(255)
            with torch.no_grad():
                logits = model((x0 - mean) / std)
            save(logits.numpy().astype("<f4"), os.path.join(out, f"{model_id}.{name}.logits.f32"))


def write_index(index, images_dir, out):
    index["images"] = {name: {} for name in sorted(os.listdir(images_dir))}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
