#include "layers/resample.hpp"

#include <fmt/format.h>

#include "layers/spatial.hpp"

namespace dpt {

template <class T>
Upsample<T>::Upsample(Shape in, int64_t factor) : in_(std::move(in)), out_(in_), k_(factor) {
  for (size_t a = 1; a < out_.size(); ++a) out_[a] *= k_;
}

template <class T>
std::string Upsample<T>::describe() const {
  return fmt::format("upsample x{} {} -> {}", k_, shape_str(in_), shape_str(out_));
}

template <class T>
kern::UpsampleGeom Upsample<T>::geom(int64_t B) const {
  const auto s = spatial3(in_);
  const size_t n = in_.size() - 1;
  kern::UpsampleGeom g{B * in_[0], {s[0], s[1], s[2]}, {1, 1, 1}};
  for (size_t a = 3 - n; a < 3; ++a) g.k[a] = k_;
  return g;
}

template <class T>
void Upsample<T>::forward(const T* x, T* y, int64_t B) {
  kern::upsample_nearest_forward(geom(B), x, y);
}

template <class T>
void Upsample<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (dx) kern::upsample_nearest_backward(geom(B), dy, dx);
}

template <class T>
PadCrop<T>::PadCrop(Shape in, Kind kind, int64_t by) : in_(std::move(in)), out_(in_), kind_(kind), by_(by) {
  for (size_t a = 1; a < out_.size(); ++a) out_[a] += kind_ == Kind::Pad ? 2 * by_ : -2 * by_;
}

template <class T>
std::string PadCrop<T>::describe() const {
  return fmt::format("{} {} {} -> {}", type(), by_, shape_str(in_), shape_str(out_));
}

template <class T>
kern::ShiftGeom PadCrop<T>::geom(int64_t B, bool forward) const {
  const auto from = spatial3(forward ? in_ : out_), to = spatial3(forward ? out_ : in_);
  // pad's forward and crop's backward read at o - by; the other two at o + by
  const int64_t shift = (kind_ == Kind::Pad) == forward ? -by_ : by_;
  const size_t n = in_.size() - 1;
  kern::ShiftGeom g{B * in_[0], {from[0], from[1], from[2]}, {to[0], to[1], to[2]}, {0, 0, 0}};
  for (size_t a = 3 - n; a < 3; ++a) g.shift[a] = shift;
  return g;
}

template <class T>
void PadCrop<T>::forward(const T* x, T* y, int64_t B) {
  kern::shift_copy(geom(B, true), x, y);
}

template <class T>
void PadCrop<T>::backward(const T* /*x*/, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  if (dx) kern::shift_copy(geom(B, false), dy, dx);
}

template class Upsample<float>;
template class Upsample<double>;
template class PadCrop<float>;
template class PadCrop<double>;

}  // namespace dpt
