// Compiles Asio, Asio SSL and Beast once for the whole project (their separate-compilation mode),
// so that files including their headers build faster and link against these definitions.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
