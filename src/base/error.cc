#include "base/error.h"

namespace xd {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
#define XD_NAME(name, status) \
  case ErrorCode::name:       \
    return #name;
    XD_ERROR_CODES(XD_NAME)
#undef XD_NAME
  }
  return "INTERNAL";
}

int ErrorCodeHttpStatus(ErrorCode code) {
  switch (code) {
#define XD_STATUS(name, status) \
  case ErrorCode::name:         \
    return status;
    XD_ERROR_CODES(XD_STATUS)
#undef XD_STATUS
  }
  return 500;
}

}  // namespace xd
