"""A small text-to-image DiT for the toy world, predicting the rectified-flow velocity v = eps - x0.

x_sigma = (1 - sigma) x0 + sigma eps with x0 = image * 2 - 1. SceneDiT takes timesteps = sigma * 1000 and the
context that TextEmbedding makes from token ids; its signature is the one ComfyUI's model_base.BaseModel
builds and calls (unet_model(**unet_config, device=..., operations=...), then (x, t, context=..., ...)).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from . import world

CONFIG = {"image_size": 32, "patch": 4, "channels": 3, "width": 128, "depth": 4, "heads": 4, "mlp_ratio": 2}
TEXT_CONFIG = {"vocab": len(world.VOCAB), "tokens": world.TOKENS, "width": 128, "heads": 4}


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal features (B, dim) of timesteps (B,) in [0, 1000]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def sincos_2d(grid: int, dim: int) -> torch.Tensor:
    """(1, grid * grid, dim) 2-D sine-cosine position features (half for rows, half for columns), wavelengths
    from 2 to 2 * grid tokens, so that neighbouring tokens differ clearly."""
    quarter = dim // 4
    freqs = math.pi / grid ** (torch.arange(quarter, dtype=torch.float32) / (quarter - 1))
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    feats = [f(pos.reshape(-1, 1).float() * freqs) for pos in (rows, cols) for f in (torch.sin, torch.cos)]
    return torch.cat(feats, dim=1)[None]


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN: x * (1 + scale) + shift, with (B, D) shift and scale."""
    return x * (1 + scale[:, None]) + shift[:, None]


class Attention(nn.Module):
    """Multi-head attention of x (B, N, D) to itself (ctx=None) or to a context (B, T, D)."""

    def __init__(self, width, heads, ops, dtype=None, device=None):
        super().__init__()
        self.heads = heads
        self.q = ops.Linear(width, width, dtype=dtype, device=device)
        self.kv = ops.Linear(width, 2 * width, dtype=dtype, device=device)
        self.out = ops.Linear(width, width, dtype=dtype, device=device)

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        split = lambda t: t.unflatten(-1, (self.heads, -1)).transpose(1, 2)  # noqa: E731
        q, (k, v) = split(self.q(x)), map(split, self.kv(ctx).chunk(2, dim=-1))
        return self.out(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).flatten(2))


class Mlp(nn.Module):
    """Two linear layers with a GELU."""

    def __init__(self, width, ratio, ops, dtype=None, device=None):
        super().__init__()
        self.fc1 = ops.Linear(width, width * ratio, dtype=dtype, device=device)
        self.fc2 = ops.Linear(width * ratio, width, dtype=dtype, device=device)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class Block(nn.Module):
    """Self-attention and MLP under adaLN from the timestep, cross-attention to the caption between them."""

    def __init__(self, width, heads, mlp_ratio, ops, dtype=None, device=None):
        super().__init__()
        kw = {"dtype": dtype, "device": device}
        self.norm1 = ops.LayerNorm(width, elementwise_affine=False, eps=1e-6, **kw)
        self.attn = Attention(width, heads, ops, **kw)
        self.norm2 = ops.LayerNorm(width, eps=1e-6, **kw)
        self.cross = Attention(width, heads, ops, **kw)
        self.norm3 = ops.LayerNorm(width, elementwise_affine=False, eps=1e-6, **kw)
        self.mlp = Mlp(width, mlp_ratio, ops, **kw)
        self.mod = nn.Parameter(torch.zeros(6, width, **kw))  # adaLN-single: this block's offset

    def forward(self, x, context, mod):
        sh1, sc1, g1, sh2, sc2, g2 = (mod.unflatten(-1, (6, -1)) + self.mod.to(mod.dtype)).unbind(1)
        x = x + g1[:, None] * self.attn(modulate(self.norm1(x), sh1, sc1))
        x = x + self.cross(self.norm2(x), context)
        return x + g2[:, None] * self.mlp(modulate(self.norm3(x), sh2, sc2))


class SceneDiT(nn.Module):
    """The velocity network: 4 x 4 patches of a 32 x 32 image -> 64 tokens -> blocks -> velocity."""

    def __init__(self, image_size=32, patch=4, channels=3, width=128, depth=4, heads=4, mlp_ratio=2,
                 dtype=None, device=None, operations=None, **config):
        super().__init__()
        ops, kw = operations or nn, {"dtype": dtype, "device": device}
        self.patch, self.channels, self.grid = patch, channels, image_size // patch
        self.dtype = dtype or torch.float32  # ComfyUI's BaseModel.get_dtype reads it
        self.embed = ops.Linear(channels * patch * patch, width, **kw)
        self.pos = nn.Parameter(torch.zeros(1, self.grid**2, width, **kw))
        self.t_embed = nn.Sequential(ops.Linear(256, width, **kw), nn.SiLU(), ops.Linear(width, width, **kw))
        self.t_mod = nn.Sequential(nn.SiLU(), ops.Linear(width, 8 * width, **kw))  # 6 per block + 2 final
        self.blocks = nn.ModuleList(Block(width, heads, mlp_ratio, ops, **kw) for _ in range(depth))
        self.norm = ops.LayerNorm(width, elementwise_affine=False, eps=1e-6, **kw)
        self.head = ops.Linear(width, channels * patch * patch, **kw)

    def patchify(self, x):
        """(B, C, H, W) -> (B, N, C * p * p)."""
        p = self.patch
        return F.unfold(x, kernel_size=p, stride=p).transpose(1, 2)

    def unpatchify(self, tokens, size):
        """(B, N, C * p * p) -> (B, C, H, W)."""
        return F.fold(tokens.transpose(1, 2), output_size=size, kernel_size=self.patch, stride=self.patch)

    def forward(self, x, timesteps, context=None, transformer_options={}, **kwargs):
        """Velocity (B, C, H, W) at x for timesteps = sigma * 1000 (B,) and the caption's context (B, T, D)."""
        if context is None:
            raise ValueError("SceneDiT needs a caption context: encode the caption with toyworld TextEmbedding")
        c = self.t_embed(timestep_embedding(timesteps, 256).to(x.dtype))
        block_mod, shift, scale = self.t_mod(c).split([6 * c.shape[1], c.shape[1], c.shape[1]], dim=-1)
        h = self.embed(self.patchify(x)) + self.pos.to(x.dtype)
        context = context.to(x.dtype)
        for block in self.blocks:
            h = block(h, context, block_mod)
        h = self.head(modulate(self.norm(h), shift, scale))
        return self.unpatchify(h, x.shape[-2:])


class TextEmbedding(nn.Module):
    """Token ids (B, T) -> context (B, T, D): token and position embeddings and one self-attention layer."""

    def __init__(self, vocab=len(world.VOCAB), tokens=world.TOKENS, width=128, heads=4):
        super().__init__()
        self.token = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.zeros(1, tokens, width))
        self.norm1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads, nn)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, 2, nn)

    def forward(self, ids):
        h = self.token(ids) + self.pos
        h = h + self.attn(self.norm1(h))
        return h + self.mlp(self.norm2(h))

    def encode(self, captions) -> torch.Tensor:
        """Context (B, T, D) of a list of captions ("" = the null prompt)."""
        ids = torch.stack([world.tokenize(c) for c in captions])
        return self(ids.to(self.token.weight.device))


def init_weights(net: SceneDiT, text: TextEmbedding) -> None:
    """Seeded-by-torch init: sine-cosine image positions, small text embeddings, zero adaLN and output (DiT)."""
    for module in list(net.modules()) + list(text.modules()):
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    net.pos.data.copy_(sincos_2d(net.grid, net.pos.shape[-1]))  # learnable, but sharp from the first step
    nn.init.normal_(text.pos, std=0.02)
    nn.init.normal_(text.token.weight, std=0.02)
    nn.init.normal_(net.t_embed[0].weight, std=0.02)
    nn.init.zeros_(net.t_mod[1].weight)
    nn.init.zeros_(net.head.weight)


def build(config=None, text_config=None) -> tuple[SceneDiT, TextEmbedding]:
    """A fresh (net, text) pair with CONFIG / TEXT_CONFIG unless given."""
    return SceneDiT(**(config or CONFIG)), TextEmbedding(**(text_config or TEXT_CONFIG))
