"""Image layers: convolution, transposed convolution, pooling, batch norm, reshaping
and the residual container, all with the layer protocol of ``zoo.core.layers``.

Memory layout: channels last (NHWC), images shaped ``(n_samples, height, width,
channels)``. A flat sklearn row of an (H, W, C) image reshapes to it without a copy,
the dense layers already work on the last axis, and a convolution becomes one GEMM per
kernel offset over the pixels flattened into rows: ``(pixels, C_in) @ (C_in, C_out)``.

Convolution is cross-correlation, as in LeCun et al. (1989) and every deep-learning
library: y[n, i, j, o] = sum_{u, v, c} x[n, s i + d u - p, s j + d v - p, c] K[u, v, c, o]
+ b[o], kernels shaped ``(kh, kw, C_in, C_out)``; the output size is
floor((H + p_before + p_after - d (k - 1) - 1) / s) + 1.

With stride 1 no window is ever copied: the padded batch is flattened to one matrix
of pixel rows, and the window offset (u, v) is the constant row shift d (u Wp + v),
so each offset contributes one GEMM on a contiguous slice, accumulated in place. Rows
that straddle two image rows or two samples are computed and dropped (the padding
margin, a few percent of the work). The input gradient is the same computation run
backwards (the full-padded correlation with the flipped kernel, dilated by the stride)
and the kernel gradient one GEMM per offset on the same slices. Strided convolutions
take one strided slice per offset instead.
"""

import numpy as np
from scipy.linalg import get_blas_funcs

from .initializers import get_initializer
from .layers import BatchNorm, Layer
from .network import Sequential


def _pair(value, name, minimum=1):
    """An int or a pair of ints as a pair of ints >= ``minimum``."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in pair
    ):
        raise ValueError(f"{name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return tuple(int(v) for v in pair)


def _add_product(a, b, out):
    """out += a @ b as one BLAS gemm with beta = 1: no temporary, no second pass.
    ``out`` must be C-contiguous (it is handed to Fortran BLAS as its transpose)."""
    gemm = get_blas_funcs("gemm", (out,))
    gemm(1.0, b.T, a.T, beta=1.0, c=out.T, overwrite_c=True)


def _channel_sums(images, out):
    """out[c] = sum of channel c over the batch and the pixels (one BLAS gemv)."""
    rows = images.reshape(-1, images.shape[-1])
    np.matmul(np.ones(rows.shape[0], dtype=rows.dtype), rows, out=out)


def _kernel(init, out_channels, in_channels, kernel, rng, dtype):
    """Initial kernels (kh, kw, in_channels, out_channels); fan-in in_channels kh kw."""
    weights = get_initializer(init)((out_channels, in_channels, *kernel), rng, dtype)
    return np.ascontiguousarray(weights.transpose(2, 3, 1, 0))


def _span(kernel, dilation):
    """Extent of a dilated kernel along one axis."""
    return dilation * (kernel - 1) + 1


def conv_output_size(size, kernel, stride=1, padding=(0, 0), dilation=1):
    """floor((size + p_before + p_after - d (k - 1) - 1) / s) + 1."""
    return (size + padding[0] + padding[1] - _span(kernel, dilation)) // stride + 1


def _padding(padding, size, kernel, stride, dilation, name="padding"):
    """(before, after) padding of one axis for 'valid', 'same' or an int.

    'same' gives ceil(size / stride) outputs, the extra pixel going after (as in
    TensorFlow)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":
            total = max((-(-size // stride) - 1) * stride + _span(kernel, dilation) - size, 0)
            return total // 2, total - total // 2
    elif not isinstance(padding, bool) and isinstance(padding, (int, np.integer)) and padding >= 0:
        return int(padding), int(padding)
    raise ValueError(f"{name} must be 'valid', 'same' or an int >= 0, got {padding!r}")


class _Windows:
    """The geometry of one correlation: kernel, stride, dilation and the padded input
    size, with the three products that make a convolution layer and its adjoint.

    ``correlate(xp, K)``      y from the padded input xp
    ``input_grad(dy, K)``     the padded input's gradient (the adjoint of correlate in xp)
    ``kernel_grad(xp, dy)``   the kernel's gradient
    """

    def __init__(self, padded_shape, kernel, stride, dilation):
        self.padded_shape, self.kernel, self.stride, self.dilation = (
            padded_shape, kernel, stride, dilation)
        self.output_shape = tuple(
            (size - _span(k, d)) // s + 1
            for size, k, s, d in zip(padded_shape, kernel, stride, dilation)
        )
        Hp, Wp = padded_shape
        (dh, dw), (kh, kw) = dilation, kernel
        self.offsets = [(u * dh, v * dw) for u in range(kh) for v in range(kw)]
        self.row_shifts = [a * Wp + b for a, b in self.offsets]

    @property
    def unit_stride(self):
        return self.stride == (1, 1)

    def _rows(self, n):
        """Pixel rows of the flattened padded batch that start a (possibly straddling) window."""
        Hp, Wp = self.padded_shape
        return n * Hp * Wp - self.row_shifts[-1]

    def _slice(self, a, offset):
        """The strided slice of padded images a that offset (a, b) of every window reads."""
        (Ho, Wo), (sh, sw), (a0, b0) = self.output_shape, self.stride, offset
        return a[:, a0 : a0 + sh * (Ho - 1) + 1 : sh, b0 : b0 + sw * (Wo - 1) + 1 : sw, :]

    def correlate(self, xp, K, bias=None):
        """y (plus ``bias``); with stride 1 a view into the padded grid of outputs."""
        n, C, F = xp.shape[0], xp.shape[-1], K.shape[-1]
        kernels = K.reshape(-1, C, F)
        Ho, Wo = self.output_shape
        if not self.unit_stride:
            y = np.zeros((n * Ho * Wo, F), dtype=xp.dtype)
            for offset, kernel in zip(self.offsets, kernels):
                _add_product(np.ascontiguousarray(self._slice(xp, offset)).reshape(-1, C), kernel, y)
        else:
            flat, rows = xp.reshape(-1, C), self._rows(n)
            y = np.empty((n * xp.shape[1] * xp.shape[2], F), dtype=xp.dtype)
            y[:rows] = 0 if bias is None else bias
            for shift, kernel in zip(self.row_shifts, kernels):
                _add_product(flat[shift : shift + rows], kernel, y[:rows])
            return y.reshape(n, *self.padded_shape, F)[:, :Ho, :Wo]
        if bias is not None:
            y += bias
        return y.reshape(n, Ho, Wo, F)

    def _embed(self, dy):
        """dy placed on the flattened padded grid (zeros where no window starts)."""
        n, (Ho, Wo) = dy.shape[0], self.output_shape
        grid = np.zeros((n, *self.padded_shape, dy.shape[-1]), dtype=dy.dtype)
        grid[:, :Ho, :Wo] = dy
        return grid.reshape(-1, dy.shape[-1])

    def input_grad(self, dy, K, grid=None):
        n, C, F = dy.shape[0], K.shape[-2], K.shape[-1]
        kernels_t = K.reshape(-1, C, F).transpose(0, 2, 1)
        dxp = np.zeros((n, *self.padded_shape, C), dtype=dy.dtype)
        if not self.unit_stride:
            dy2 = dy.reshape(-1, F)
            for offset, kernel_t in zip(self.offsets, kernels_t):
                self._slice(dxp, offset)[...] += (dy2 @ kernel_t).reshape(n, *self.output_shape, C)
            return dxp
        grid = self._embed(dy) if grid is None else grid
        rows, flat = self._rows(n), dxp.reshape(-1, C)
        for shift, kernel_t in zip(self.row_shifts, kernels_t):
            _add_product(grid[:rows], kernel_t, flat[shift : shift + rows])
        return dxp

    def kernel_grad(self, xp, dy, out, grid=None):
        """Writes dK into ``out`` (shape (kh, kw, C, F)). ``grid``: dy already placed
        by ``_embed`` (stride 1), to share it with ``input_grad``."""
        n, C, F = xp.shape[0], xp.shape[-1], dy.shape[-1]
        grads = out.reshape(-1, C, F)
        if not self.unit_stride:
            dy2 = dy.reshape(-1, F)
            for offset, grad in zip(self.offsets, grads):
                np.matmul(self._slice(xp, offset).reshape(-1, C).T, dy2, out=grad)
            return out
        grid = self._embed(dy) if grid is None else grid
        rows, flat = self._rows(n), xp.reshape(-1, C)
        grid = grid[:rows]
        for shift, grad in zip(self.row_shifts, grads):
            np.matmul(flat[shift : shift + rows].T, grid, out=grad)
        return out


def _check_image_shape(input_shape, layer):
    if len(input_shape) != 3:
        raise ValueError(
            f"{layer} takes images shaped (height, width, channels), got input shape {input_shape}"
        )


class Conv2D(Layer):
    """2-D convolution (cross-correlation) over NHWC images (LeCun et al. 1989).

    ``filters`` output channels, ``kernel`` (kh, kw) or an int, ``stride``,
    ``padding`` ('valid', 'same' or an int on every side), ``dilation``. Kernels are
    stored as ``W`` of shape (kh, kw, C_in, filters); He-normal by default.
    """

    def __init__(self, filters, kernel, stride=1, padding="valid", dilation=1,
                 use_bias=True, init="he"):
        super().__init__()
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel = _pair(kernel, "kernel")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        _padding(padding, 1, 1, 1, 1)  # checks the value
        self.padding, self.use_bias, self.init = padding, use_bias, init

    def build(self, input_shape, rng, dtype):
        _check_image_shape(input_shape, "Conv2D")
        self.dtype = dtype
        H, W, C = input_shape
        self.pads = [
            _padding(self.padding, size, k, s, d)
            for size, k, s, d in zip((H, W), self.kernel, self.stride, self.dilation)
        ]
        padded = (H + sum(self.pads[0]), W + sum(self.pads[1]))
        if any(p < _span(k, d) for p, k, d in zip(padded, self.kernel, self.dilation)):
            raise ValueError(
                f"kernel {self.kernel} (dilation {self.dilation}) is larger than the padded "
                f"input {padded}; use a smaller kernel or padding='same'"
            )
        self.windows = _Windows(padded, self.kernel, self.stride, self.dilation)
        self._add_param("W", _kernel(self.init, self.filters, C, self.kernel, rng, dtype))
        if self.use_bias:
            self._add_param("b", np.zeros(self.filters, dtype=dtype))
        return (*self.windows.output_shape, self.filters)

    @property
    def flops(self):
        """Two operations per kernel weight at every window position (for the
        transposed layer, every input pixel)."""
        return 2 * int(np.prod(self.windows.output_shape)) * self.params["W"].size

    def _pad(self, x):
        (top, bottom), (left, right) = self.pads
        if top == bottom == left == right == 0:
            return x
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))

    def _crop(self, xp):
        (top, bottom), (left, right) = self.pads
        return xp[:, top : xp.shape[1] - bottom, left : xp.shape[2] - right]

    def forward(self, x, training=False):
        self._xp = self._pad(x)
        return self.windows.correlate(self._xp, self.params["W"], self.params.get("b"))

    def backward(self, dy):
        windows = self.windows
        grid = windows._embed(dy) if windows.unit_stride else None
        windows.kernel_grad(self._xp, dy, self.grads["W"], grid)
        if self.use_bias:
            _channel_sums(dy, self.grads["b"])
        return self._crop(windows.input_grad(dy, self.params["W"], grid))


class ConvTranspose2D(Conv2D):
    """Transposed ("fractionally strided") convolution: the adjoint of a Conv2D, the
    upsampling layer of deconvolutional and generator networks (Zeiler et al. 2010;
    Dumoulin & Visin 2016).

    The output size is (H - 1) s - p_before - p_after + d (k - 1) + 1 + output_padding;
    padding 'same' gives H s. Kernels ``W`` have shape (kh, kw, filters, C_in): the
    kernel of the convolution this layer is the adjoint of.
    """

    def __init__(self, filters, kernel, stride=1, padding="valid", output_padding=0,
                 dilation=1, use_bias=True, init="he"):
        super().__init__(filters, kernel, stride, padding, dilation, use_bias, init)
        self.output_padding = _pair(output_padding, "output_padding", minimum=0)

    def _output_pads(self, size, k, s, d, extra):
        """(before, after, extra rows) giving the output size of this axis."""
        if self.padding == "same":
            total = _span(k, d) - s
            return (total // 2, total - total // 2, extra) if total >= 0 else (0, 0, extra - total)
        before, after = _padding(self.padding, size, k, s, d)
        return before, after, extra

    def build(self, input_shape, rng, dtype):
        _check_image_shape(input_shape, "ConvTranspose2D")
        self.dtype = dtype
        H, W, C = input_shape
        geometry = [
            self._output_pads(size, k, s, d, e)
            for size, k, s, d, e in zip(
                (H, W), self.kernel, self.stride, self.dilation, self.output_padding)
        ]
        if any(e >= s for (_, _, e), s in zip(geometry, self.stride)):
            raise ValueError(
                f"output_padding must be smaller than the stride {self.stride}, got {self.output_padding!r}"
            )
        self.pads = [(before, after) for before, after, _ in geometry]
        padded = tuple((size - 1) * s + _span(k, d) + e for size, k, s, d, (_, _, e) in zip(
            (H, W), self.kernel, self.stride, self.dilation, geometry))
        out = tuple(p - sum(pad) for p, pad in zip(padded, self.pads))
        if min(out) < 1:
            raise ValueError(f"padding {self.padding!r} leaves no output for input {(H, W)}")
        self.windows = _Windows(padded, self.kernel, self.stride, self.dilation)
        # stored as the kernel of the convolution it is the adjoint of: filters -> C
        self._add_param("W", _kernel(self.init, C, self.filters, self.kernel, rng, dtype))
        if self.use_bias:
            self._add_param("b", np.zeros(self.filters, dtype=dtype))
        return (*out, self.filters)

    def forward(self, x, training=False):
        self._x = x
        z = self._crop(self.windows.input_grad(x, self.params["W"]))
        if self.use_bias:
            z = z + self.params["b"]
        return np.ascontiguousarray(z)

    def backward(self, dz):
        dzp = self._pad(dz)
        self.windows.kernel_grad(dzp, self._x, self.grads["W"])
        if self.use_bias:
            _channel_sums(dz, self.grads["b"])
        return self.windows.correlate(dzp, self.params["W"])


class _Pool2D(Layer):
    """Shared geometry of the pooling layers: windows of ``size`` every ``stride``
    (default: ``size``), padding 'valid' or 'same' (padded cells are ignored)."""

    def __init__(self, size=2, stride=None, padding="valid"):
        super().__init__()
        self.size = _pair(size, "size")
        self.stride = self.size if stride is None else _pair(stride, "stride")
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        self.padding = padding

    def build(self, input_shape, rng, dtype):
        _check_image_shape(input_shape, type(self).__name__)
        self.dtype = dtype
        H, W, C = input_shape
        self.pads = [_padding(self.padding, n, k, s, 1)
                     for n, k, s in zip((H, W), self.size, self.stride)]
        padded = (H + sum(self.pads[0]), W + sum(self.pads[1]))
        if any(p < k for p, k in zip(padded, self.size)):
            raise ValueError(f"pooling size {self.size} is larger than the input {(H, W)}")
        self.windows = _Windows(padded, self.size, self.stride, (1, 1))
        return (*self.windows.output_shape, C)

    def _pad(self, x, value):
        (top, bottom), (left, right) = self.pads
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)

    def _crop(self, xp):
        (top, bottom), (left, right) = self.pads
        return xp[:, top : xp.shape[1] - bottom, left : xp.shape[2] - right]


class MaxPool2D(_Pool2D):
    """Max pooling; the gradient goes to the first maximum of each window."""

    def forward(self, x, training=False):
        self._xp = self._pad(x, -np.inf)
        windows = self.windows
        self._y = windows._slice(self._xp, windows.offsets[0]).copy()
        for offset in windows.offsets[1:]:
            np.maximum(self._y, windows._slice(self._xp, offset), out=self._y)
        return self._y

    def backward(self, dy):
        windows = self.windows
        dxp = np.zeros_like(self._xp)
        unrouted = np.ones(dy.shape, dtype=bool)
        for offset in windows.offsets:
            hit = unrouted & (windows._slice(self._xp, offset) == self._y)
            windows._slice(dxp, offset)[...] += np.where(hit, dy, 0)
            unrouted &= ~hit
        return self._crop(dxp)


class AvgPool2D(_Pool2D):
    """Average pooling over the input cells of each window (padding not counted)."""

    def build(self, input_shape, rng, dtype):
        shape = super().build(input_shape, rng, dtype)
        ones = self._pad(np.ones((1, *input_shape[:2], 1), dtype=dtype), 0)
        counts = sum(self.windows._slice(ones, offset) for offset in self.windows.offsets)
        self.inverse_counts = (1 / counts).astype(dtype)
        return shape

    def forward(self, x, training=False):
        xp, windows = self._pad(x, 0), self.windows
        self._padded_shape = xp.shape
        total = sum(windows._slice(xp, offset) for offset in windows.offsets)
        return total * self.inverse_counts

    def backward(self, dy):
        windows, dxp = self.windows, np.zeros(self._padded_shape, dtype=dy.dtype)
        share = dy * self.inverse_counts
        for offset in windows.offsets:
            windows._slice(dxp, offset)[...] += share
        return self._crop(dxp)


class GlobalAvgPool2D(Layer):
    """The mean of every channel over the image: (H, W, C) -> (C,) (Lin et al. 2014)."""

    def build(self, input_shape, rng, dtype):
        _check_image_shape(input_shape, "GlobalAvgPool2D")
        self.dtype, self.image_shape = dtype, tuple(input_shape)
        return (input_shape[-1],)

    def forward(self, x, training=False):
        return x.mean(axis=(1, 2))

    def backward(self, dy):
        H, W, _ = self.image_shape
        return np.broadcast_to((dy / (H * W))[:, None, None, :], (dy.shape[0], *self.image_shape)).copy()


class BatchNorm2D(BatchNorm):
    """Batch normalisation per channel (Ioffe & Szegedy 2015): statistics over the
    batch and every pixel of each channel."""

    def build(self, input_shape, rng, dtype):
        _check_image_shape(input_shape, "BatchNorm2D")
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False):
        return super().forward(x.reshape(-1, x.shape[-1]), training).reshape(x.shape)

    def backward(self, dy):
        return super().backward(dy.reshape(-1, dy.shape[-1])).reshape(dy.shape)


class Reshape(Layer):
    """Reshape every sample to ``shape`` (e.g. a dense layer's output to an image)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def build(self, input_shape, rng, dtype):
        self.dtype, self.input_shape = dtype, tuple(input_shape)
        if int(np.prod(input_shape)) != int(np.prod(self.shape)):
            raise ValueError(f"cannot reshape samples of shape {self.input_shape} to {self.shape}")
        return self.shape

    def forward(self, x, training=False):
        return x.reshape(x.shape[0], *self.shape)

    def backward(self, dy):
        return dy.reshape(dy.shape[0], *self.input_shape)


class Flatten(Reshape):
    """Flatten every sample to a vector (images to the dense head)."""

    def __init__(self):
        Layer.__init__(self)

    def build(self, input_shape, rng, dtype):
        self.shape = (int(np.prod(input_shape)),)
        return super().build(input_shape, rng, dtype)


class Residual(Layer):
    """y = F(x) + shortcut(x) (He et al. 2015): a branch of layers plus the identity,
    or a projection (a list of layers, e.g. a strided 1x1 Conv2D and BatchNorm2D, or a
    Dense) when the branch changes the shape. Trains inside Sequential like any layer;
    its ``params`` and ``grads`` are the branch's and the shortcut's, keys prefixed.
    """

    def __init__(self, branch, shortcut=None):
        self.branch = Sequential(branch)
        self.shortcut = None if shortcut is None else Sequential(shortcut)

    def _parts(self):
        return [("branch", self.branch)] + ([("shortcut", self.shortcut)] if self.shortcut else [])

    def _collect(self, attribute):
        return {
            f"{part}.{index}.{key}": value
            for part, network in self._parts()
            for index, layer in enumerate(network.layers)
            for key, value in getattr(layer, attribute).items()
        }

    @property
    def params(self):
        return self._collect("params")

    @property
    def grads(self):
        return self._collect("grads")

    @property
    def flops(self):
        return sum(network.flops for _, network in self._parts())

    def build(self, input_shape, rng, dtype):
        self.dtype = dtype
        shape = self.branch.build(input_shape, rng, dtype)
        through = tuple(input_shape) if self.shortcut is None else self.shortcut.build(
            input_shape, rng, dtype)
        if through != shape:
            raise ValueError(
                f"the residual branch maps {tuple(input_shape)} to {shape} but the shortcut "
                f"gives {through}; use a projection shortcut that changes the shape"
            )
        return shape

    def forward(self, x, training=False):
        y = self.branch.forward(x, training)
        return y + (x if self.shortcut is None else self.shortcut.forward(x, training))

    def backward(self, dy):
        dx = self.branch.backward(dy)
        return dx + (dy if self.shortcut is None else self.shortcut.backward(dy))
