#include "a2w/env/array.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "dtype_dispatch.h"

namespace a2w::env {

namespace {

// 2^48 elements is far beyond any buffer a2w allocates and keeps numel * itemsize well inside int64, so a
// corrupt shape (from a file or a wire message) fails here rather than in the allocator.
constexpr std::int64_t kMaxNumel = std::int64_t{1} << 48;
constexpr std::align_val_t kAlignment{64};  // cache line; also what SIMD kernels and torch::from_blob like

std::shared_ptr<void> allocate_zeroed(std::size_t nbytes) {
  // One byte at least, so that an empty array still has storage and is valid().
  const std::size_t n = nbytes == 0 ? 1 : nbytes;
  void* p = ::operator new(n, kAlignment);
  std::memset(p, 0, n);
  return std::shared_ptr<void>(p, [](void* q) { ::operator delete(q, kAlignment); });
}

// Float to integer conversion that is defined for every input (a plain cast of NaN or of an out-of-range
// value is undefined behaviour): NaN gives 0, the rest saturates.
template <typename To>
To saturate(double v) {
  if (std::isnan(v)) return To{0};
  constexpr double lo = static_cast<double>(std::numeric_limits<To>::lowest());
  constexpr double hi = static_cast<double>(std::numeric_limits<To>::max());
  if (v <= lo) return std::numeric_limits<To>::lowest();
  if (v >= hi) return std::numeric_limits<To>::max();
  return static_cast<To>(v);
}

template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{0};
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    return saturate<To>(static_cast<double>(v));
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To>) {
    // Integer narrowing saturates too (int64 -> uint8 of 300 gives 255), as images expect.
    if constexpr (std::is_signed_v<From> && !std::is_signed_v<To>) {
      if (v < 0) return To{0};
    }
    using Wide = std::conditional_t<std::is_signed_v<From>, std::int64_t, std::uint64_t>;
    const Wide w = static_cast<Wide>(v);
    if constexpr (std::is_signed_v<To>) {
      if (w > static_cast<Wide>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
      if constexpr (std::is_signed_v<From>) {
        if (w < static_cast<Wide>(std::numeric_limits<To>::lowest()))
          return std::numeric_limits<To>::lowest();
      }
    } else {
      if (static_cast<std::uint64_t>(w) > static_cast<std::uint64_t>(std::numeric_limits<To>::max()))
        return std::numeric_limits<To>::max();
    }
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) throw InvalidArgument("shape: expected non-negative dims, got " + shape_str(shape));
    if (d != 0 && n > kMaxNumel / d)
      throw InvalidArgument("shape: expected at most 2^48 elements, got shape " + shape_str(shape));
    n *= d;
  }
  if (n > kMaxNumel)
    throw InvalidArgument("shape: expected at most 2^48 elements, got shape " + shape_str(shape));
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string describe(const Array& a) {
  if (!a.valid()) return "invalid (empty) array";
  return std::string(dtype_name(a.dtype())) + " array of shape " + shape_str(a.shape());
}

Array::Array(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  const std::int64_t n = numel(shape_);
  storage_ = allocate_zeroed(static_cast<std::size_t>(n) * itemsize(dtype_));
  data_ = storage_.get();
}

Array Array::wrap(void* data, DType dtype, Shape shape, std::shared_ptr<void> keep_alive) {
  const std::int64_t n = numel(shape);
  if (data == nullptr && n > 0)
    throw InvalidArgument("Array::wrap: expected a data pointer for shape " + shape_str(shape) +
                          ", got null");
  Array a;
  a.dtype_ = dtype;
  a.shape_ = std::move(shape);
  a.data_ = data;
  // valid() means "has a non-null storage handle": foreign memory without an owner gets a non-owning handle,
  // and an empty wrap (data == nullptr) points the handle at a static byte that is never read.
  static std::byte sentinel{};
  void* handle = data != nullptr ? data : &sentinel;
  a.storage_ = keep_alive ? std::shared_ptr<void>(std::move(keep_alive), handle)
                          : std::shared_ptr<void>(handle, [](void*) {});
  return a;
}

std::int64_t Array::dim(int i) const {
  const int n = ndim();
  const int j = i < 0 ? i + n : i;
  if (j < 0 || j >= n)
    throw InvalidArgument("Array::dim: expected an axis in [" + std::to_string(-n) + ", " +
                          std::to_string(n) + "), got " + std::to_string(i) + " for shape " +
                          shape_str(shape_));
  return shape_[static_cast<std::size_t>(j)];
}

double Array::at(std::int64_t i) const {
  if (i < 0 || i >= size())
    throw InvalidArgument("Array::at: expected an index in [0, " + std::to_string(size()) + "), got " +
                          std::to_string(i));
  return detail::dispatch(dtype_, [&](auto tag) -> double {
    using T = decltype(tag);
    return static_cast<double>(static_cast<const T*>(data_)[i]);
  });
}

std::int64_t Array::at_int(std::int64_t i) const {
  if (i < 0 || i >= size())
    throw InvalidArgument("Array::at_int: expected an index in [0, " + std::to_string(size()) + "), got " +
                          std::to_string(i));
  return detail::dispatch(dtype_, [&](auto tag) -> std::int64_t {
    using T = decltype(tag);
    return convert<std::int64_t>(static_cast<const T*>(data_)[i]);
  });
}

Array Array::row(std::int64_t i) const {
  if (ndim() == 0)
    throw InvalidArgument("Array::row: expected an array with at least one dim, got a 0-d array");
  if (i < 0 || i >= shape_[0])
    throw InvalidArgument("Array::row: expected a row in [0, " + std::to_string(shape_[0]) + "), got " +
                          std::to_string(i) + " for shape " + shape_str(shape_));
  Array v = *this;
  v.shape_.erase(v.shape_.begin());
  const auto row_bytes = static_cast<std::size_t>(numel(v.shape_)) * itemsize(dtype_);
  v.data_ = static_cast<std::byte*>(data_) + static_cast<std::size_t>(i) * row_bytes;
  return v;
}

Array Array::rows(std::int64_t begin, std::int64_t end) const {
  if (ndim() == 0)
    throw InvalidArgument("Array::rows: expected an array with at least one dim, got a 0-d array");
  if (begin < 0 || end < begin || end > shape_[0])
    throw InvalidArgument("Array::rows: expected 0 <= begin <= end <= " + std::to_string(shape_[0]) +
                          ", got [" + std::to_string(begin) + ", " + std::to_string(end) + ")");
  Array v = *this;
  v.shape_[0] = end - begin;
  Shape row_shape(shape_.begin() + 1, shape_.end());
  const auto row_bytes = static_cast<std::size_t>(numel(row_shape)) * itemsize(dtype_);
  v.data_ = static_cast<std::byte*>(data_) + static_cast<std::size_t>(begin) * row_bytes;
  return v;
}

Array Array::reshape(Shape shape) const {
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == -1) {
      if (inferred >= 0)
        throw InvalidArgument("Array::reshape: expected at most one -1 dim, got " + shape_str(shape));
      inferred = static_cast<int>(k);
    } else {
      known *= shape[k] < 0 ? -1 : shape[k];
    }
  }
  if (inferred >= 0 && known > 0 && size() % known == 0)
    shape[static_cast<std::size_t>(inferred)] = size() / known;
  if (inferred >= 0 && shape[static_cast<std::size_t>(inferred)] == -1)
    throw InvalidArgument("Array::reshape: cannot reshape array of shape " + shape_str(shape_) + " into " +
                          shape_str(shape));
  if (numel(shape) != size())
    throw InvalidArgument("Array::reshape: expected a shape with " + std::to_string(size()) +
                          " elements (from shape " + shape_str(shape_) + "), got " + shape_str(shape));
  Array v = *this;
  v.shape_ = std::move(shape);
  return v;
}

Array Array::clone() const {
  if (!valid()) return {};
  Array c(dtype_, shape_);
  if (nbytes()) std::memcpy(c.data_, data_, nbytes());
  return c;
}

Array Array::astype(DType dtype) const {
  if (!valid()) throw InvalidArgument("Array::astype: expected a valid array, got an empty one");
  if (dtype == dtype_) return clone();
  Array out(dtype, shape_);
  const std::int64_t n = size();
  detail::dispatch(dtype_, [&](auto from_tag) {
    using From = decltype(from_tag);
    detail::dispatch(dtype, [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* src = static_cast<const From*>(data_);
      To* dst = static_cast<To*>(out.data_);
      for (std::int64_t i = 0; i < n; ++i) dst[i] = convert<To>(src[i]);
    });
  });
  return out;
}

void Array::copy_from(const Array& src) {
  if (!valid()) throw InvalidArgument("Array::copy_from: destination is an invalid (empty) array");
  if (src.dtype_ != dtype_ || src.shape_ != shape_)
    throw InvalidArgument("Array::copy_from: expected " + describe(*this) + ", got " + describe(src));
  // memmove: the source may be a view overlapping this one.
  if (nbytes()) std::memmove(data_, src.data_, nbytes());
}

void Array::fill_zero() {
  if (valid() && nbytes()) std::memset(data_, 0, nbytes());
}

bool Array::equals(const Array& other) const {
  if (valid() != other.valid()) return false;
  if (dtype_ != other.dtype_ || shape_ != other.shape_) return false;
  return nbytes() == 0 || std::memcmp(data_, other.data_, nbytes()) == 0;
}

bool Array::has_non_finite() const {
  if (!valid()) return false;
  const std::int64_t n = size();
  if (dtype_ == DType::kFloat32) {
    const float* p = static_cast<const float*>(data_);
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(p[i])) return true;
  } else if (dtype_ == DType::kFloat64) {
    const double* p = static_cast<const double*>(data_);
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(p[i])) return true;
  }
  return false;
}

}  // namespace a2w::env
