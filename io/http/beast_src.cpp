// The one translation unit that compiles Boost.Beast and Asio's SSL support.
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
