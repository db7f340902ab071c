#include "pipeline/completion_watermark.hpp"

#include <stdexcept>
#include <string>

namespace idabus::pipeline {

void completion_watermark::complete(std::uint64_t number) {
  if (number < watermark_ || !above_.insert(number).second) {
    throw std::invalid_argument("completion_watermark: item " + std::to_string(number) + " completed twice");
  }
  while (!above_.empty() && *above_.begin() == watermark_) {
    above_.erase(above_.begin());
    ++watermark_;
  }
}

}  // namespace idabus::pipeline
