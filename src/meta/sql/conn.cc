#include "meta/sql/conn.h"

#include <optional>

namespace tierfs::meta::sql {

Result<std::optional<Row>> Conn::QueryOne(std::string_view sql, const Args& args) {
  ASSIGN_OR_RETURN(auto rows, Query(sql, args));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.front()));
}

ConnPool::Lease::~Lease() {
  if (!c_) return;
  if (write_) {
    pool_->writer_ = std::move(c_);
    pool_->write_mu_.unlock();
  } else {
    std::lock_guard lk(pool_->mu_);
    pool_->readers_.push_back(std::move(c_));
  }
}

Result<ConnPool::Lease> ConnPool::Acquire(bool write) {
  if (write) {
    write_mu_.lock();
    if (!writer_) {
      auto c = connector_->Open();
      if (!c) {
        write_mu_.unlock();
        return Err(c.error());
      }
      writer_ = std::move(*c);
    }
    return Lease(this, std::move(writer_), true);
  }
  {
    std::lock_guard lk(mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return Lease(this, std::move(c), false);
    }
  }
  ASSIGN_OR_RETURN(auto c, connector_->Open());
  return Lease(this, std::move(c), false);
}

}  // namespace tierfs::meta::sql
