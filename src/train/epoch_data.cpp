#include "train/epoch_data.hpp"

#include <cstring>

namespace dpt {

EpochData::EpochData(const SampleSource& src, const Sampler& sampler, const Comm& comm, std::vector<int64_t> rows)
    : src_(src), sampler_(sampler), comm_(comm), rows_(std::move(rows)), row_bytes_(src.row_bytes() + 4) {
  const auto [a, b] = block_range(src.size(), comm.rank(), comm.size());
  std::vector<unsigned char> features(static_cast<size_t>((b - a) * src.row_bytes()));
  std::vector<int32_t> labels(static_cast<size_t>(b - a));
  src.read_raw(a, b, features.data(), labels.data());
  raw_.resize(static_cast<size_t>((b - a) * row_bytes_));
  for (int64_t i = 0; i < b - a; ++i) {
    std::memcpy(raw_.data() + i * row_bytes_, features.data() + i * src.row_bytes(), static_cast<size_t>(src.row_bytes()));
    std::memcpy(raw_.data() + i * row_bytes_ + src.row_bytes(), &labels[i], 4);
  }
}

Shard EpochData::load(int64_t epoch, const EpochPlan& plan) const {
  const ExchangePlan x = make_exchange_plan(sampler_, src_.size(), epoch, comm_.rank(), comm_.size(), rows_);
  std::vector<int64_t> send_counts, recv_counts;
  int64_t send_total = 0, recv_total = 0;
  for (size_t q = 0; q < x.send_rows.size(); ++q) {
    send_counts.push_back(static_cast<int64_t>(x.send_rows[q].size()));
    recv_counts.push_back(static_cast<int64_t>(x.recv_pos[q].size()));
    send_total += send_counts.back(), recv_total += recv_counts.back();
  }
  std::vector<unsigned char> send(static_cast<size_t>(send_total * row_bytes_)), recv(static_cast<size_t>(recv_total * row_bytes_));
  unsigned char* out = send.data();
  for (const auto& rows : x.send_rows)
    for (int64_t r : rows) std::memcpy(out, raw_.data() + r * row_bytes_, static_cast<size_t>(row_bytes_)), out += row_bytes_;
  comm_.alltoallv_rows(send.data(), send_counts, recv.data(), recv_counts, row_bytes_);

  Shard s;
  s.rows = static_cast<int64_t>(plan.indices.size());
  s.D = src_.sample_numel();
  s.x.resize(static_cast<size_t>(s.rows * s.D));
  s.y.resize(static_cast<size_t>(s.rows));
  const unsigned char* in = recv.data();
  for (const auto& positions : x.recv_pos)
    for (int64_t pos : positions) {
      src_.convert_row(in, s.x.data() + pos * s.D);
      std::memcpy(&s.y[static_cast<size_t>(pos)], in + src_.row_bytes(), 4);
      in += row_bytes_;
    }
  return s;
}

}  // namespace dpt
