"""Export a sentence-transformers encoder to int8 ONNX: `python -m knowledge._onnx_export MODEL_DIR OUT`.

Run in a child process by `knowledge._onnx.exported_model`, so that torch is loaded only here, once.
The graph is exported with plain (eager) attention so that ONNX Runtime's transformer optimiser can fuse
each layer's attention, layer norms and GELU into single operators (about 15 % less work), then the matrix
products, attention and the word-embedding table are quantised to int8 per output channel (the file
shrinks from 90 to 23 MB); per tensor, the vectors moved too far (mean cosine with the original 0.95; per
channel 0.99, see benchmarks/README.md).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def export(model_dir: Path, target: Path) -> None:
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state  # type: ignore[no-any-return]

    encoder = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    model = LastHiddenState(encoder)
    sample = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with tempfile.TemporaryDirectory() as work:
        full = Path(work) / "model.onnx"
        torch.onnx.export(
            model,
            (sample, torch.ones_like(sample), torch.zeros_like(sample)),
            str(full),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={**{name: axes for name in names}, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )
        fused = Path(work) / "fused.onnx"
        config = encoder.config
        optimize_model(
            str(full), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
        ).save_model_to_file(str(fused))
        quantize_dynamic(
            fused,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention", "EmbedLayerNormalization"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]))
