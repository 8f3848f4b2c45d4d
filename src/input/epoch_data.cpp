#include "input/epoch_data.hpp"

#include <cstring>

namespace dpt {

EpochData::EpochData(const SampleSource& src, const Sampler& sampler, const Comm& comm, std::vector<int64_t> rows)
    : src_(src), sampler_(sampler), comm_(comm), rows_(std::move(rows)), row_bytes_(packed_row_bytes(src)) {
  const auto [a, b] = block_range(src.size(), comm.rank(), comm.size());
  std::vector<unsigned char> features(static_cast<size_t>((b - a) * src.row_bytes()));
  const int64_t slots = src.target_slots();
  std::vector<int32_t> labels(static_cast<size_t>((b - a) * slots));
  src.read_raw(a, b, features.data(), labels.data());
  raw_.resize(static_cast<size_t>((b - a) * row_bytes_));
  for (int64_t i = 0; i < b - a; ++i)
    pack_row(src, features.data() + i * src.row_bytes(), &labels[i * slots], raw_.data() + i * row_bytes_);
}

const RawRows& EpochData::load(int64_t epoch, const EpochPlan& plan) {
  const ExchangePlan x = make_exchange_plan(sampler_, src_.size(), epoch, comm_.rank(), comm_.size(), rows_);
  std::vector<int64_t> send_counts, recv_counts;
  int64_t send_total = 0, recv_total = 0;
  for (size_t q = 0; q < x.send_rows.size(); ++q) {
    send_counts.push_back(static_cast<int64_t>(x.send_rows[q].size()));
    recv_counts.push_back(static_cast<int64_t>(x.recv_pos[q].size()));
    send_total += send_counts.back(), recv_total += recv_counts.back();
  }
  send_.resize(static_cast<size_t>(send_total * row_bytes_));  // reused: no page faults after epoch 0
  recv_.resize(static_cast<size_t>(recv_total * row_bytes_));
  unsigned char* out = send_.data();
  for (const auto& rows : x.send_rows)
    for (int64_t r : rows)
      std::memcpy(out, raw_.data() + r * row_bytes_, static_cast<size_t>(row_bytes_)), out += row_bytes_;
  comm_.alltoallv_rows(send_.data(), send_counts, recv_.data(), recv_counts, row_bytes_);

  shard_.src = &src_;
  shard_.n = static_cast<int64_t>(plan.indices.size());
  shard_.row_bytes = row_bytes_;
  shard_.bytes.resize(static_cast<size_t>(shard_.n * row_bytes_));
  const unsigned char* in = recv_.data();
  for (const auto& positions : x.recv_pos)
    for (int64_t pos : positions) {
      std::memcpy(shard_.bytes.data() + pos * row_bytes_, in, static_cast<size_t>(row_bytes_));
      in += row_bytes_;
    }
  return shard_;
}

}  // namespace dpt
