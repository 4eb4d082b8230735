"""Temporal self-attention map recording, 180° rotation and injection (Wang et al. 2024, Sec. 4.1-4.3).

Only the temporal self-attention layers (`...temporal_transformer_blocks.0.attn1`) get the map
processor; every other attention keeps SDPA. A map has shape (batch*H*W, heads, F, F): row j holds
how frame j attends to every frame k. Rotating it by 180° (A'[N-1-j, N-1-k] = A[j, k]) turns the
forward motion of a clip into the backward motion of the time-reversed clip.

Modes of the shared `MapState`:
- "plain":  SDPA on the whole batch (own weights); nothing recorded.
- "record": explicit maps, kept per layer for a later "inject" call (two-pass reference loop).
- "inject": the recorded maps of the same layer, rotated, replace the batch's own maps; the recorded
            map is dropped as soon as it is used; with backward weights, V/O come from them.
- "split":  one batched call: the first half of the batch is the forward pass, the second half the
            backward pass; the second half uses the first half's rotated maps from this very layer
            (and the backward V/O weights when given), so maps never outlive the layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

TEMPORAL_SELF_ATTENTION = "temporal_transformer_blocks.0.attn1"
MODES = ("plain", "record", "inject", "split")


def rotate_maps(maps: torch.Tensor) -> torch.Tensor:
    """Rotate attention maps 180° over their last two (frame) axes: A'[N-1-j, N-1-k] = A[j, k]."""
    return torch.flip(maps, dims=(-2, -1))


def is_temporal_self_attention(processor_name: str) -> bool:
    return processor_name.removesuffix(".processor").endswith(TEMPORAL_SELF_ATTENTION)


@dataclass
class MapState:
    """What the map processors do on the next UNet call; shared by every temporal layer."""

    mode: str = "plain"
    recorded: dict[str, torch.Tensor] = field(default_factory=dict)
    # layer name -> {"to_v.weight", "to_v.bias"?, "to_out.0.weight", "to_out.0.bias"?} of the backward UNet
    backward_weights: dict[str, dict[str, torch.Tensor]] | None = None
    use_backward_weights: bool = False  # "inject"/"split": the backward pass uses the backward V/O

    def set(self, mode: str, use_backward_weights: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown attention map mode {mode!r}")
        self.mode = mode
        self.use_backward_weights = use_backward_weights and self.backward_weights is not None
        if mode in ("plain", "split"):
            self.recorded.clear()


def _linear(x: torch.Tensor, weights: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    return F.linear(x, weights[f"{name}.weight"], weights.get(f"{name}.bias"))


class TemporalMapProcessor:
    """Attention processor for one temporal self-attention layer; behaviour set by a shared MapState."""

    def __init__(self, layer: str, state: MapState) -> None:
        self.layer = layer
        self.state = state

    def _value_and_out(self, attn, backward: bool):
        """The V projection and the output projection to use (stock or backward-motion weights)."""
        weights = self.state.backward_weights.get(self.layer) if backward and self.state.backward_weights else None
        if weights is None:
            return attn.to_v, attn.to_out[0]
        return (lambda x: _linear(x, weights, "to_v")), (lambda x: _linear(x, weights, "to_out.0"))

    def __call__(self, attn, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor | None = None,
                 attention_mask: torch.Tensor | None = None, temb: torch.Tensor | None = None,
                 *args, **kwargs) -> torch.Tensor:
        if encoder_hidden_states is not None or attention_mask is not None or hidden_states.ndim != 3:
            raise ValueError("the temporal map processor only handles temporal self-attention")
        residual = hidden_states
        mode = self.state.mode
        if mode == "split":
            half = hidden_states.shape[0] // 2
            fwd, maps = self._attend(attn, hidden_states[:half], None, backward=False)
            bwd, _ = self._attend(attn, hidden_states[half:], rotate_maps(maps),
                                  backward=self.state.use_backward_weights)
            del maps
            out = torch.cat([fwd, bwd], dim=0)
        elif mode == "record":
            out, maps = self._attend(attn, hidden_states, None, backward=False)
            self.state.recorded[self.layer] = maps
        elif mode == "inject":
            maps = self.state.recorded.pop(self.layer, None)
            if maps is None:
                raise RuntimeError(f"no recorded attention map for {self.layer}")
            out, _ = self._attend(attn, hidden_states, rotate_maps(maps),
                                  backward=self.state.use_backward_weights)
            del maps
        else:
            out = self._sdpa(attn, hidden_states)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor

    @staticmethod
    def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
        batch, frames, inner = x.shape
        return x.view(batch, frames, heads, inner // heads).transpose(1, 2)

    def _sdpa(self, attn, x: torch.Tensor) -> torch.Tensor:
        """The stock path (as diffusers' AttnProcessor2_0), used when no map is needed."""
        q = self._heads(attn.to_q(x), attn.heads)
        k = self._heads(attn.to_k(x), attn.heads)
        v = self._heads(attn.to_v(x), attn.heads)
        out = F.scaled_dot_product_attention(q, k, v, scale=attn.scale)
        out = out.transpose(1, 2).reshape(x.shape[0], -1, q.shape[1] * q.shape[3]).to(q.dtype)
        return attn.to_out[1](attn.to_out[0](out))

    def _attend(self, attn, x: torch.Tensor, maps: torch.Tensor | None,
                backward: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Attention with an explicit map: computed from Q/K when `maps` is None, else the one given."""
        to_v, to_out = self._value_and_out(attn, backward)
        if maps is None:
            q = self._heads(attn.to_q(x), attn.heads)
            k = self._heads(attn.to_k(x), attn.heads)
            scores = torch.matmul(q, k.transpose(-1, -2)).float() * attn.scale
            # softmax in fp32 for accuracy, then kept in the compute dtype to halve the memory
            maps = scores.softmax(dim=-1).to(x.dtype)
            del scores, q, k
        v = self._heads(to_v(x), attn.heads)
        out = torch.matmul(maps, v)
        out = out.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        return attn.to_out[1](to_out(out)), maps


def install_map_processors(unet) -> MapState:
    """Put map processors on the temporal self-attention layers and SDPA everywhere else."""
    from diffusers.models.attention_processor import AttnProcessor2_0

    state = MapState()
    processors = {}
    for name in unet.attn_processors:
        if is_temporal_self_attention(name):
            processors[name] = TemporalMapProcessor(name.removesuffix(".processor"), state)
        else:
            processors[name] = AttnProcessor2_0()
    if not any(isinstance(p, TemporalMapProcessor) for p in processors.values()):
        raise ValueError("this UNet has no temporal self-attention layers; is it a Stable Video Diffusion UNet?")
    unet.set_attn_processor(processors)
    return state


def temporal_layers(unet) -> list[str]:
    """Names of the temporal self-attention modules (without '.processor')."""
    return [n.removesuffix(".processor") for n in unet.attn_processors if is_temporal_self_attention(n)]
