#include "a2w/env/hdf5_reader.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <utility>

#include "a2w/env/error.h"
#include "hdf5_util.h"

namespace a2w::env {

namespace {

using hdf5::Handle;
using hdf5::Where;

// The format this build writes and reads; files without the attribute (LIBERO's own) are read as well.
constexpr std::int64_t kFormat = 1;

std::string join(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

struct Child {
  std::string name;
  H5I_type_t type;  // H5I_GROUP, H5I_DATASET, or something else (named datatype)
};

std::vector<Child> children(hid_t group, const Where& where) {
  H5G_info_t info;
  hdf5::check_status(H5Gget_info(group, &info), "H5Gget_info", where);
  std::vector<Child> out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) hdf5::fail("H5Lget_name_by_idx", where.object, where.file);
    std::string name(static_cast<std::size_t>(n), '\0');
    if (H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1,
                           H5P_DEFAULT) < 0)
      hdf5::fail("H5Lget_name_by_idx", where.object, where.file);
    H5I_type_t type = H5I_BADID;
    // A dangling soft or external link cannot be opened: list it without a type rather than fail.
    Handle obj(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose);
    if (obj.valid()) type = H5Iget_type(obj.get());
    H5Eclear2(H5E_DEFAULT);
    out.push_back({std::move(name), type});
  }
  return out;
}

std::vector<std::string> names_of(const std::vector<Child>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.name);
  return out;
}

// k of "demo_<k>", or nullopt for any other name.
std::optional<std::int64_t> demo_index(std::string_view name) {
  constexpr std::string_view prefix = "demo_";
  if (name.substr(0, prefix.size()) != prefix || name.size() == prefix.size()) return std::nullopt;
  std::int64_t k = 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  const auto [end, ec] = std::from_chars(first, last, k);
  if (ec != std::errc() || end != last) return std::nullopt;
  return k;
}

struct AttrValue {
  std::optional<std::int64_t> i;
  std::optional<std::uint64_t> u;
};

}  // namespace

struct DatasetReader::Impl {
  std::filesystem::path path;
  Handle file;

  Where where(std::string object = "") const { return Where{path, std::move(object)}; }

  static void check_demo_name(std::string_view demo) {
    if (demo.empty() || demo.find('/') != std::string_view::npos)
      throw InvalidArgument("DatasetReader: expected a demo name such as demo_0, got '" + std::string(demo) +
                            "'");
  }

  // Opens data/<demo>/<key> (key may be empty: the demo group), walking one link at a time so that a
  // missing piece is reported with what exists at that level instead of HDF5's generic failure.
  Handle open(std::string_view demo, std::string_view key) const {
    std::vector<std::string> parts{"data"};
    if (!demo.empty()) {
      check_demo_name(demo);
      parts.emplace_back(demo);
    }
    if (!key.empty())
      for (auto& p : split(key)) {
        if (p.empty() || p == "." || p == "..")
          throw InvalidArgument("DatasetReader: expected a key such as obs/agentview_rgb, got '" +
                                std::string(key) + "' (for " + path.string() + ")");
        parts.push_back(std::move(p));
      }
    Handle current(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose);
    std::string sofar;
    for (const auto& part : parts) {
      const std::string parent = sofar.empty() ? "/" : sofar;
      const std::string next = sofar.empty() ? part : sofar + "/" + part;
      if (H5Iget_type(current.get()) != H5I_GROUP)
        throw InvalidArgument("DatasetReader: expected '" + sofar + "' in " + path.string() +
                              " to be a group, got a dataset");
      const htri_t exists = H5Lexists(current.get(), part.c_str(), H5P_DEFAULT);
      if (exists < 0) hdf5::fail("H5Lexists", next, path);
      if (exists == 0) {
        std::vector<std::string> there = names_of(children(current.get(), where(parent)));
        throw NotFound("DatasetReader: no '" + next + "' in " + path.string() + "; " + parent +
                       " holds: " + join(there));
      }
      current =
          hdf5::own(H5Oopen(current.get(), part.c_str(), H5P_DEFAULT), H5Oclose, "H5Oopen", where(next));
      sofar = next;
    }
    return current;
  }

  Handle open_dataset(std::string_view demo, std::string_view key) const {
    check_demo_name(demo);
    if (key.empty()) throw InvalidArgument("DatasetReader: expected a dataset key, got an empty one");
    Handle obj = open(demo, key);
    if (H5Iget_type(obj.get()) != H5I_DATASET)
      throw InvalidArgument("DatasetReader: expected data/" + std::string(demo) + "/" + std::string(key) +
                            " in " + path.string() + " to be a dataset, got a group");
    return obj;
  }

  std::string object_name(std::string_view demo) const {
    return demo.empty() ? std::string("data") : "data/" + std::string(demo);
  }

  Handle open_attr(std::string_view demo, std::string_view name) const {
    Handle obj = open(demo, "");
    const std::string n(name);
    const htri_t exists = H5Aexists(obj.get(), n.c_str());
    if (exists < 0) hdf5::fail("H5Aexists", object_name(demo) + "@" + n, path);
    if (exists == 0) {
      std::vector<std::string> names;
      hsize_t idx = 0;
      H5Aiterate2(
          obj.get(), H5_INDEX_NAME, H5_ITER_INC, &idx,
          [](hid_t, const char* attr_name, const H5A_info_t*, void* out) -> herr_t {
            static_cast<std::vector<std::string>*>(out)->emplace_back(attr_name);
            return 0;
          },
          &names);
      H5Eclear2(H5E_DEFAULT);
      throw NotFound("DatasetReader: no attribute '" + n + "' on " + object_name(demo) + " in " +
                     path.string() + "; it has: " + join(names));
    }
    return hdf5::own(H5Aopen(obj.get(), n.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen",
                     where(object_name(demo) + "@" + n));
  }

  void check_scalar(hid_t attr, const std::string& what) const {
    Handle space = hdf5::own(H5Aget_space(attr), H5Sclose, "H5Aget_space", where(what));
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n != 1)
      throw InvalidArgument("DatasetReader: expected attribute " + what + " in " + path.string() +
                            " to hold one value, got " + std::to_string(n));
  }

  std::string attr_string(std::string_view demo, std::string_view name) const {
    const std::string what = object_name(demo) + "@" + std::string(name);
    Handle attr = open_attr(demo, name);
    check_scalar(attr.get(), what);
    Handle type = hdf5::own(H5Aget_type(attr.get()), H5Tclose, "H5Aget_type", where(what));
    if (H5Tget_class(type.get()) != H5T_STRING)
      throw InvalidArgument("DatasetReader: expected attribute " + what + " in " + path.string() +
                            " to be a string, got a " + hdf5::describe_h5_type(type.get()));
    if (H5Tis_variable_str(type.get()) > 0) {
      // h5py writes str attributes this way.
      Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), H5T_VARIABLE);
      H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
      char* value = nullptr;
      hdf5::check_status(H5Aread(attr.get(), mem.get(), &value), "H5Aread", where(what));
      std::string out = value != nullptr ? value : "";
      H5free_memory(value);
      return out;
    }
    // Fixed length (numpy bytes_ through h5py, or C writers): NUL- or space-padded.
    const std::size_t size = H5Tget_size(type.get());
    std::string out(size, '\0');
    hdf5::check_status(H5Aread(attr.get(), type.get(), out.data()), "H5Aread", where(what));
    out.resize(std::min(out.find('\0'), out.size()));
    if (H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD) out.erase(out.find_last_not_of(' ') + 1);
    return out;
  }

  AttrValue attr_integer(std::string_view demo, std::string_view name) const {
    const std::string what = object_name(demo) + "@" + std::string(name);
    Handle attr = open_attr(demo, name);
    check_scalar(attr.get(), what);
    Handle type = hdf5::own(H5Aget_type(attr.get()), H5Tclose, "H5Aget_type", where(what));
    const H5T_class_t cls = H5Tget_class(type.get());
    // numpy bools are h5py enums over int8; they read as 0/1 through integer conversion.
    if (cls != H5T_INTEGER && !(cls == H5T_ENUM && hdf5::dtype_of_h5(type.get()) == DType::kBool))
      throw InvalidArgument("DatasetReader: expected attribute " + what + " in " + path.string() +
                            " to be an integer, got a " + hdf5::describe_h5_type(type.get()));
    AttrValue out;
    if (cls == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_NONE) {
      std::uint64_t v = 0;
      hdf5::check_status(H5Aread(attr.get(), H5T_NATIVE_UINT64, &v), "H5Aread", where(what));
      out.u = v;
    } else {
      std::int64_t v = 0;
      Handle mem =
          cls == H5T_ENUM ? hdf5::memory_type(DType::kBool) : Handle(H5Tcopy(H5T_NATIVE_INT64), H5Tclose);
      if (cls == H5T_ENUM) {
        bool b = false;
        hdf5::check_status(H5Aread(attr.get(), mem.get(), &b), "H5Aread", where(what));
        v = b ? 1 : 0;
      } else {
        hdf5::check_status(H5Aread(attr.get(), mem.get(), &v), "H5Aread", where(what));
      }
      out.i = v;
    }
    return out;
  }

  std::int64_t attr_int(std::string_view demo, std::string_view name) const {
    const AttrValue v = attr_integer(demo, name);
    if (v.i) return *v.i;
    if (*v.u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw InvalidArgument("DatasetReader: attribute " + object_name(demo) + "@" + std::string(name) +
                            " in " + path.string() + " is " + std::to_string(*v.u) +
                            ", above the int64 range; expected attr_uint for it");
    return static_cast<std::int64_t>(*v.u);
  }

  std::uint64_t attr_uint(std::string_view demo, std::string_view name) const {
    const AttrValue v = attr_integer(demo, name);
    if (v.u) return *v.u;
    if (*v.i < 0)
      throw InvalidArgument("DatasetReader: expected attribute " + object_name(demo) + "@" +
                            std::string(name) + " in " + path.string() + " to be non-negative, got " +
                            std::to_string(*v.i));
    return static_cast<std::uint64_t>(*v.i);
  }

  bool has_attr(std::string_view demo, std::string_view name) const {
    Handle obj = open(demo, "");
    const htri_t exists = H5Aexists(obj.get(), std::string(name).c_str());
    if (exists < 0) hdf5::fail("H5Aexists", object_name(demo) + "@" + std::string(name), path);
    return exists > 0;
  }

  struct Info {
    DType dtype;
    Shape shape;
  };

  // Dtype and shape, with the checks every read goes through.
  Info info(hid_t dset, std::string_view demo, std::string_view key) const {
    const std::string what = "data/" + std::string(demo) + "/" + std::string(key);
    Handle type = hdf5::own(H5Dget_type(dset), H5Tclose, "H5Dget_type", where(what));
    const std::optional<DType> dtype = hdf5::dtype_of_h5(type.get());
    if (!dtype)
      throw InvalidArgument("DatasetReader: " + what + " in " + path.string() + " is a " +
                            hdf5::describe_h5_type(type.get()) +
                            " dataset; expected one of uint8, int32, int64, float32, float64, bool");
    Handle space = hdf5::own(H5Dget_space(dset), H5Sclose, "H5Dget_space", where(what));
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) hdf5::fail("H5Sget_simple_extent_ndims", what, path);
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
      hdf5::fail("H5Sget_simple_extent_dims", what, path);
    Info out{*dtype, Shape(dims.begin(), dims.end())};
    check_layout(demo, key, out);
    return out;
  }

  // The layout's promises for the keys it names, so a foreign or damaged file fails here, by name, and
  // not later as a shape mismatch inside training code.
  void check_layout(std::string_view demo, std::string_view key, const Info& info) const {
    const std::string what = "data/" + std::string(demo) + "/" + std::string(key) + " in " + path.string();
    const bool is_float = info.dtype == DType::kFloat32 || info.dtype == DType::kFloat64;
    const bool is_flag = info.dtype != DType::kFloat32 && info.dtype != DType::kFloat64;
    auto expect = [&](bool ok, const std::string& expected) {
      if (!ok)
        throw InvalidArgument("DatasetReader: expected " + what + " to be " + expected + ", got " +
                              std::string(dtype_name(info.dtype)) + " " + shape_str(info.shape));
    };
    const int rank = static_cast<int>(info.shape.size());
    if (key == "actions") {
      expect(is_float && rank == 2, "float [T, A]");
    } else if (key == "rewards") {
      expect(is_float && rank == 1, "float [T]");
    } else if (key == "dones" || key == "success") {
      expect(is_flag && rank == 1, "integer or bool [T]");
    } else if (key.starts_with("obs/") || key.starts_with("state/")) {
      expect(rank >= 1, "an array [T, ...]");
    }
    if (key == "actions" || key == "rewards" || key == "dones" || key == "success" ||
        key.starts_with("obs/") || key.starts_with("state/")) {
      if (has_attr(demo, "num_samples")) {
        const std::int64_t T = attr_int(demo, "num_samples");
        if (info.shape[0] != T)
          throw InvalidArgument("DatasetReader: expected " + what + " to have " + std::to_string(T) +
                                " rows (num_samples), got shape " + shape_str(info.shape));
      }
    }
  }

  Array read_rows(std::string_view demo, std::string_view key,
                  std::optional<std::pair<std::int64_t, std::int64_t>> window) const {
    const std::string what = "data/" + std::string(demo) + "/" + std::string(key);
    Handle dset = open_dataset(demo, key);
    const Info inf = info(dset.get(), demo, key);
    Handle mem = hdf5::memory_type(inf.dtype);
    if (!window) {
      Array out(inf.dtype, inf.shape);
      if (out.size() > 0)
        hdf5::check_status(H5Dread(dset.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.raw()),
                           "H5Dread", where(what));
      return out;
    }
    const auto [begin, end] = *window;
    if (inf.shape.empty())
      throw InvalidArgument("DatasetReader: expected " + what + " in " + path.string() +
                            " to have rows, got a scalar dataset");
    const std::int64_t rows = inf.shape[0];
    if (begin < 0 || begin > end || end > rows)
      throw InvalidArgument("DatasetReader: expected rows 0 <= begin <= end <= " + std::to_string(rows) +
                            " of " + what + " in " + path.string() + ", got [" + std::to_string(begin) +
                            ", " + std::to_string(end) + ")");
    Shape shape = inf.shape;
    shape[0] = end - begin;
    Array out(inf.dtype, shape);
    if (out.size() == 0) return out;
    std::vector<hsize_t> start(shape.size(), 0), count(shape.begin(), shape.end());
    start[0] = static_cast<hsize_t>(begin);
    Handle fspace = hdf5::own(H5Dget_space(dset.get()), H5Sclose, "H5Dget_space", where(what));
    hdf5::check_status(
        H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
        "H5Sselect_hyperslab", where(what));
    Handle mspace = hdf5::own(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                              H5Sclose, "H5Screate_simple", where(what));
    hdf5::check_status(H5Dread(dset.get(), mem.get(), mspace.get(), fspace.get(), H5P_DEFAULT, out.raw()),
                       "H5Dread", where(what));
    return out;
  }

  std::vector<std::string> keys(std::string_view demo) const {
    std::vector<std::string> out;
    // Depth-first over groups; demos are shallow (obs/, state/), so recursion stays small.
    auto visit = [&](auto&& self, hid_t group, const std::string& prefix) -> void {
      for (const Child& c : children(group, where("data/" + std::string(demo) + "/" + prefix))) {
        if (c.type == H5I_DATASET) {
          out.push_back(prefix + c.name);
        } else if (c.type == H5I_GROUP) {
          Handle sub = hdf5::own(H5Gopen2(group, c.name.c_str(), H5P_DEFAULT), H5Gclose, "H5Gopen2",
                                 where("data/" + std::string(demo) + "/" + prefix + c.name));
          self(self, sub.get(), prefix + c.name + "/");
        }
      }
    };
    check_demo_name(demo);
    Handle group = open(demo, "");
    visit(visit, group.get(), "");
    std::sort(out.begin(), out.end());
    return out;
  }
};

DatasetReader::DatasetReader(std::filesystem::path path) : impl_(std::make_unique<Impl>()) {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  Impl& m = *impl_;
  m.path = std::move(path);
  if (!std::filesystem::exists(m.path)) throw NotFound("DatasetReader: no file " + m.path.string());
  const htri_t is_hdf5 = H5Fis_hdf5(m.path.c_str());
  if (is_hdf5 == 0)
    throw InvalidArgument("DatasetReader: expected an HDF5 file, got " + m.path.string() +
                          " which is not one (no HDF5 signature)");
  m.file = Handle(H5Fopen(m.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!m.file.valid()) hdf5::fail("H5Fopen", "", m.path);
  const htri_t has_data = H5Lexists(m.file.get(), "data", H5P_DEFAULT);
  if (has_data <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InvalidArgument("DatasetReader: expected a group 'data' (LIBERO/robomimic layout) in " +
                          m.path.string() + ", got a file without it");
  }
  (void)m.open("", "");  // checks that data is a group
  if (m.has_attr("", "a2w_format")) {
    const std::int64_t format = m.attr_int("", "a2w_format");
    if (format > kFormat)
      throw InvalidArgument("DatasetReader: " + m.path.string() + " has a2w_format " +
                            std::to_string(format) + "; this build reads format " + std::to_string(kFormat) +
                            " and older");
  }
}

DatasetReader::~DatasetReader() {
  if (!impl_) return;
  [[maybe_unused]] hdf5::Lock lock;
  impl_.reset();
}
DatasetReader::DatasetReader(DatasetReader&&) noexcept = default;
DatasetReader& DatasetReader::operator=(DatasetReader&&) noexcept = default;

const std::filesystem::path& DatasetReader::path() const {
  return impl_->path;
}

std::vector<std::string> DatasetReader::demo_names() const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  Handle data = impl_->open("", "");
  std::vector<std::pair<std::int64_t, std::string>> demos;
  for (Child& c : children(data.get(), impl_->where("data")))
    if (const auto k = demo_index(c.name); k && c.type == H5I_GROUP)
      demos.emplace_back(*k, std::move(c.name));
  std::sort(demos.begin(), demos.end());
  std::vector<std::string> out;
  for (auto& d : demos) out.push_back(std::move(d.second));
  return out;
}

std::int64_t DatasetReader::num_samples(std::string_view demo) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  if (impl_->has_attr(demo, "num_samples")) return impl_->attr_int(demo, "num_samples");
  return shape(demo, "actions").at(0);
}

std::vector<std::string> DatasetReader::keys(std::string_view demo) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->keys(demo);
}

bool DatasetReader::has(std::string_view demo, std::string_view key) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  try {
    Handle obj = impl_->open(demo, key);
    return H5Iget_type(obj.get()) == H5I_DATASET;
  } catch (const NotFound&) {
    return false;
  }
}

std::string DatasetReader::attr_string(std::string_view name) const {
  return attr_string("", name);
}
std::int64_t DatasetReader::attr_int(std::string_view name) const {
  return attr_int("", name);
}

std::string DatasetReader::attr_string(std::string_view demo, std::string_view name) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->attr_string(demo, name);
}
std::int64_t DatasetReader::attr_int(std::string_view demo, std::string_view name) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->attr_int(demo, name);
}
std::uint64_t DatasetReader::attr_uint(std::string_view demo, std::string_view name) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->attr_uint(demo, name);
}
bool DatasetReader::has_attr(std::string_view demo, std::string_view name) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->has_attr(demo, name);
}

DType DatasetReader::dtype(std::string_view demo, std::string_view key) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  Handle dset = impl_->open_dataset(demo, key);
  return impl_->info(dset.get(), demo, key).dtype;
}

Shape DatasetReader::shape(std::string_view demo, std::string_view key) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  Handle dset = impl_->open_dataset(demo, key);
  return impl_->info(dset.get(), demo, key).shape;
}

Array DatasetReader::read(std::string_view demo, std::string_view key) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->read_rows(demo, key, std::nullopt);
}

Array DatasetReader::read_rows(std::string_view demo, std::string_view key, std::int64_t begin,
                               std::int64_t end) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  return impl_->read_rows(demo, key, std::make_pair(begin, end));
}

Demo DatasetReader::read_demo(std::string_view demo) const {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  Demo out;
  out.actions = read(demo, "actions");
  out.rewards = read(demo, "rewards");
  if (has(demo, "success")) {
    out.success = read(demo, "success");
  } else {
    // LIBERO's own files have no per-step success; report none rather than refuse the demo.
    out.success = Array(DType::kUInt8, Shape{out.actions.dim(0)});
  }
  for (const std::string& key : keys(demo)) {
    if (key.starts_with("obs/")) out.obs[key.substr(4)] = read(demo, key);
    if (key.starts_with("state/")) out.state[key.substr(6)] = read(demo, key);
  }
  if (has_attr(demo, "seed")) out.seed = attr_uint(demo, "seed");
  out.seeded = has_attr(demo, "seeded") ? attr_int(demo, "seeded") != 0 : has_attr(demo, "seed");
  if (has_attr(demo, "instruction")) out.instruction = attr_string(demo, "instruction");
  if (has_attr(demo, "terminated")) out.terminated = attr_int(demo, "terminated") != 0;
  if (has_attr(demo, "truncated")) out.truncated = attr_int(demo, "truncated") != 0;
  return out;
}

}  // namespace a2w::env
