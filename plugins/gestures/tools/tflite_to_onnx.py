#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Convert the MediaPipe hand models from TFLite to ONNX (opset 13).

Why our own converter: the Rust runtimes cannot load these .tflite files
(DEQUANTIZE/PRELU are missing in tract-tflite), and the ready-made
converters either need full TensorFlow or fail on the palm detector.

What it does:
  * parses the .tflite flatbuffer with the generated accessors of the
    `tflite` package;
  * folds every DEQUANTIZE of a constant (fp16 weights) into an fp32
    initializer;
  * rewrites the graph to NCHW: every rank-4 activation is NCHW in the ONNX
    graph, weights are permuted once at conversion time, so the runtime
    does no per-layer transposes (only around RESHAPE/FULLY_CONNECTED where
    the element order of NHWC matters);
  * supports exactly the ops the four hand models use and refuses anything
    else, naming the op.

The graph input becomes `input` with shape [1, 3, H, W] (NCHW, float32);
outputs keep their TFLite names and order.

Usage: tflite_to_onnx.py IN.tflite OUT.onnx
"""

import sys

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper
from tflite.BuiltinOperator import BuiltinOperator

OP_NAMES = {v: k for k, v in BuiltinOperator.__dict__.items() if not k.startswith("_")}
# TFLite TensorType -> numpy dtype, for the constant buffers we read.
DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64}
# TFLite Padding enum.
SAME, VALID = 0, 1
# NHWC axis -> NCHW axis.
NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


class ConversionError(Exception):
    """A model feature this converter does not support."""


def options(op, cls):
    """Decode the builtin options table of `op` as `cls`."""
    table = op.BuiltinOptions()
    if table is None:
        raise ConversionError(f"operator without options where {cls.__name__} expected")
    opt = cls()
    opt.Init(table.Bytes, table.Pos)
    return opt


class Converter:
    """Holds the state of one model conversion."""

    def __init__(self, model):
        self.model = model
        self.graph = model.Subgraphs(0)
        self.nodes = []
        self.initializers = []
        self.consts = {}  # tflite tensor index -> numpy array (TFLite layout)
        self.counter = 0

    # ---- tensors -------------------------------------------------------
    def tensor(self, idx):
        return self.graph.Tensors(idx)

    def shape(self, idx):
        return [int(d) for d in self.tensor(idx).ShapeAsNumpy()]

    def name(self, idx):
        return self.tensor(idx).Name().decode()

    def read_buffer(self, idx):
        """Constant data of tensor `idx`, or None when it is an activation."""
        t = self.tensor(idx)
        buf = self.model.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        dtype = DTYPES.get(t.Type())
        if dtype is None:
            raise ConversionError(f"tensor {self.name(idx)}: unsupported type {t.Type()}")
        data = buf.DataAsNumpy().tobytes()
        return np.frombuffer(data, dtype=dtype).reshape(self.shape(idx)).copy()

    def const(self, idx):
        if idx not in self.consts:
            value = self.read_buffer(idx)
            if value is not None:
                self.consts[idx] = value
        return self.consts.get(idx)

    def fresh(self, base):
        self.counter += 1
        return f"{base}__{self.counter}"

    def add_init(self, base, array):
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op_type, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, outputs, **attrs))

    # ---- helpers -------------------------------------------------------
    def emit(self, op_type, inputs, out_name, fused, **attrs):
        """Emit `op_type` writing `out_name`, followed by its fused activation."""
        if fused == 0:
            self.node(op_type, inputs, [out_name], **attrs)
            return
        raw = self.fresh(out_name + "_pre_act")
        self.node(op_type, inputs, [raw], **attrs)
        if fused == 1:
            self.node("Relu", [raw], [out_name])
        elif fused == 3:
            lo = self.add_init("zero", np.array(0.0, np.float32))
            hi = self.add_init("six", np.array(6.0, np.float32))
            self.node("Clip", [raw, lo, hi], [out_name])
        else:
            raise ConversionError(f"unsupported fused activation {fused}")

    def same_pads(self, in_hw, kernel, stride, dilation=(1, 1)):
        """TF 'SAME' padding as explicit ONNX pads (extra pixel at the end)."""
        begins, ends = [], []
        for size, k, s, d in zip(in_hw, kernel, stride, dilation):
            out = -(-size // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
            begins.append(total // 2)
            ends.append(total - total // 2)
        return begins + ends

    def pads_for(self, padding, in_hw, kernel, stride, dilation=(1, 1)):
        if padding == VALID:
            return [0, 0, 0, 0]
        if padding == SAME:
            return self.same_pads(in_hw, kernel, stride, dilation)
        raise ConversionError(f"unknown padding {padding}")

    def operand(self, idx, like_rank):
        """ONNX name for input `idx`; constants are laid out to broadcast in NCHW."""
        value = self.const(idx)
        if value is None:
            return self.name(idx)
        if like_rank == 4 and value.dtype == np.float32:
            if value.ndim == 4:
                value = value.transpose(0, 3, 1, 2)
            elif value.ndim in (1, 3) and value.size > 1:
                # Per-channel vector ([C] or [1,1,C]) -> [C,1,1].
                value = value.reshape(-1, 1, 1)
        return self.add_init(self.name(idx), value)

    def to_nhwc(self, name):
        out = self.fresh(name + "_nhwc")
        self.node("Transpose", [name], [out], perm=[0, 2, 3, 1])
        return out

    # ---- ops -----------------------------------------------------------
    def convert_op(self, op):
        code = self.model.OperatorCodes(op.OpcodeIndex())
        opname = OP_NAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM")
        ins = [int(i) for i in op.InputsAsNumpy()]
        outs = [int(i) for i in op.OutputsAsNumpy()]
        handler = getattr(self, "op_" + opname.lower(), None)
        if handler is None:
            raise ConversionError(f"unsupported TFLite operator {opname}")
        handler(op, ins, outs)

    def op_dequantize(self, op, ins, outs):
        value = self.const(ins[0])
        if value is None:
            raise ConversionError("DEQUANTIZE of a non-constant tensor")
        # Fold: the output tensor becomes an fp32 constant.
        self.consts[outs[0]] = value.astype(np.float32)

    def conv_common(self, ins, outs, weights, group, stride, dilation, padding, fused):
        in_hw = self.shape(ins[0])[1:3]
        kernel = weights.shape[2:4]
        inputs = [self.name(ins[0]), self.add_init(self.name(ins[1]), weights)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.add_init(self.name(ins[2]), self.const(ins[2]).astype(np.float32)))
        self.emit("Conv", inputs, self.name(outs[0]), fused, group=group, strides=list(stride),
                  dilations=list(dilation), kernel_shape=list(kernel),
                  pads=self.pads_for(padding, in_hw, kernel, stride, dilation))

    def op_conv_2d(self, op, ins, outs):
        o = options(op, tflite.Conv2DOptions)
        w = self.const(ins[1])
        if w is None:
            raise ConversionError("CONV_2D with non-constant weights")
        self.conv_common(ins, outs, w.transpose(0, 3, 1, 2), 1,
                         (o.StrideH(), o.StrideW()),
                         (o.DilationHFactor(), o.DilationWFactor()),
                         o.Padding(), o.FusedActivationFunction())

    def op_depthwise_conv_2d(self, op, ins, outs):
        o = options(op, tflite.DepthwiseConv2DOptions)
        w = self.const(ins[1])  # [1, H, W, C*multiplier]
        if w is None:
            raise ConversionError("DEPTHWISE_CONV_2D with non-constant weights")
        channels = self.shape(ins[0])[3]
        self.conv_common(ins, outs, w.transpose(3, 0, 1, 2), channels,
                         (o.StrideH(), o.StrideW()),
                         (o.DilationHFactor(), o.DilationWFactor()),
                         o.Padding(), o.FusedActivationFunction())

    def op_max_pool_2d(self, op, ins, outs):
        o = options(op, tflite.Pool2DOptions)
        kernel, stride = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
        self.emit("MaxPool", [self.name(ins[0])], self.name(outs[0]),
                  o.FusedActivationFunction(), kernel_shape=list(kernel),
                  strides=list(stride),
                  pads=self.pads_for(o.Padding(), self.shape(ins[0])[1:3], kernel, stride))

    def op_add(self, op, ins, outs):
        o = options(op, tflite.AddOptions)
        rank = len(self.shape(outs[0]))
        self.emit("Add", [self.operand(ins[0], rank), self.operand(ins[1], rank)],
                  self.name(outs[0]), o.FusedActivationFunction())

    def op_prelu(self, op, ins, outs):
        rank = len(self.shape(outs[0]))
        self.node("PRelu", [self.name(ins[0]), self.operand(ins[1], rank)], [self.name(outs[0])])

    def op_logistic(self, op, ins, outs):
        self.node("Sigmoid", [self.name(ins[0])], [self.name(outs[0])])

    def op_pad(self, op, ins, outs):
        pads = self.const(ins[1])
        if pads is None:
            raise ConversionError("PAD with non-constant paddings")
        pads = pads.astype(np.int64)
        if len(self.shape(ins[0])) == 4:
            pads = pads[[0, 3, 1, 2]]
        onnx_pads = self.add_init("pads", np.concatenate([pads[:, 0], pads[:, 1]]))
        self.node("Pad", [self.name(ins[0]), onnx_pads], [self.name(outs[0])], mode="constant")

    def op_resize_bilinear(self, op, ins, outs):
        o = options(op, tflite.ResizeBilinearOptions)
        if o.AlignCorners():
            mode = "align_corners"
        elif o.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        n, h, w, c = self.shape(outs[0])
        sizes = self.add_init("sizes", np.array([n, c, h, w], np.int64))
        self.node("Resize", [self.name(ins[0]), "", "", sizes], [self.name(outs[0])],
                  mode="linear", coordinate_transformation_mode=mode)

    def op_concatenation(self, op, ins, outs):
        o = options(op, tflite.ConcatenationOptions)
        rank = len(self.shape(outs[0]))
        axis = o.Axis() % rank
        if rank == 4:
            axis = NHWC_TO_NCHW_AXIS[axis]
        self.emit("Concat", [self.operand(i, rank) for i in ins], self.name(outs[0]),
                  o.FusedActivationFunction(), axis=axis)

    def op_reshape(self, op, ins, outs):
        src = self.name(ins[0])
        if len(self.shape(ins[0])) == 4:
            src = self.to_nhwc(src)  # the flattening order is NHWC's
        target = self.shape(outs[0])
        shape = self.add_init("shape", np.array(target, np.int64))
        if len(target) == 4:
            tmp = self.fresh(self.name(outs[0]) + "_nhwc")
            self.node("Reshape", [src, shape], [tmp])
            self.node("Transpose", [tmp], [self.name(outs[0])], perm=[0, 3, 1, 2])
        else:
            self.node("Reshape", [src, shape], [self.name(outs[0])])

    def op_mean(self, op, ins, outs):
        o = options(op, tflite.ReducerOptions)
        axes = self.const(ins[1])
        if axes is None:
            raise ConversionError("MEAN with non-constant axes")
        rank = len(self.shape(ins[0]))
        axes = [int(a) % rank for a in np.atleast_1d(axes)]
        if rank == 4:
            axes = sorted(NHWC_TO_NCHW_AXIS[a] for a in axes)
        keep = bool(o.KeepDims())
        if keep and rank == 4 and len(self.shape(outs[0])) != 4:
            raise ConversionError("MEAN keep_dims with a rank change")
        if not keep and rank == 4 and len(self.shape(outs[0])) == 4:
            raise ConversionError("MEAN to a rank-4 result without keep_dims")
        self.node("ReduceMean", [self.name(ins[0])], [self.name(outs[0])],
                  axes=axes, keepdims=int(keep))

    def op_fully_connected(self, op, ins, outs):
        o = options(op, tflite.FullyConnectedOptions)
        if o.KeepNumDims():
            raise ConversionError("FULLY_CONNECTED with keep_num_dims")
        w = self.const(ins[1])  # [out, in]
        if w is None:
            raise ConversionError("FULLY_CONNECTED with non-constant weights")
        src = self.name(ins[0])
        if len(self.shape(ins[0])) == 4:
            src = self.to_nhwc(src)
        flat = self.fresh(src + "_flat")
        shape = self.add_init("shape", np.array([-1, w.shape[1]], np.int64))
        self.node("Reshape", [src, shape], [flat])
        inputs = [flat, self.add_init(self.name(ins[1]), w)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.add_init(self.name(ins[2]), self.const(ins[2]).astype(np.float32)))
        self.emit("Gemm", inputs, self.name(outs[0]), o.FusedActivationFunction(), transB=1)

    # ---- graph ---------------------------------------------------------
    def run(self):
        g = self.graph
        if self.model.SubgraphsLength() != 1:
            raise ConversionError("models with several subgraphs are not supported")
        if g.InputsLength() != 1:
            raise ConversionError("expected exactly one graph input")
        in_idx = g.Inputs(0)
        n, h, w, c = self.shape(in_idx)
        # The graph input is fed NCHW (renamed 'input' below).
        inputs = [helper.make_tensor_value_info(self.name(in_idx), TensorProto.FLOAT, [n, c, h, w])]
        for i in range(g.OperatorsLength()):
            self.convert_op(g.Operators(i))
        outputs = []
        for j in range(g.OutputsLength()):
            idx = g.Outputs(j)
            shape = self.shape(idx)
            name = self.name(idx)
            if len(shape) == 4:  # expose outputs in the original NHWC layout
                inner = self.fresh(name + "_nchw")
                for node in self.nodes:
                    node.output[:] = [inner if o == name else o for o in node.output]
                self.node("Transpose", [inner], [name], perm=[0, 2, 3, 1])
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        graph = helper.make_graph(self.nodes, "converted", inputs, outputs, self.initializers)
        # Rename the input to a fixed name so the Rust side needs no lookups.
        for node in graph.node:
            node.input[:] = ["input" if i == self.name(in_idx) else i for i in node.input]
        graph.input[0].name = "input"
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                                  producer_name="phosphene-tflite_to_onnx")
        model.ir_version = 7
        onnx.checker.check_model(model)
        return model


def main(argv):
    if len(argv) != 3:
        print("usage: tflite_to_onnx.py IN.tflite OUT.onnx", file=sys.stderr)
        return 2
    src, dst = argv[1], argv[2]
    try:
        with open(src, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"tflite_to_onnx: cannot read {src}: {e}", file=sys.stderr)
        return 1
    try:
        model = Converter(tflite.Model.GetRootAsModel(data, 0)).run()
    except ConversionError as e:
        print(f"tflite_to_onnx: {src}: {e}", file=sys.stderr)
        return 1
    onnx.save(model, dst)
    print(f"tflite_to_onnx: wrote {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
