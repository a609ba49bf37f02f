// Query parameters of the list routes: most take one value, a few (`tag`)
// may be repeated to mean "all of them". A parameter that takes one value
// and is given twice is refused (400 invalid_argument, naming it) rather
// than silently read as its first value.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
struct Request;
}

namespace lima::http {

/// Refuses each of `names` that the request gives more than once.
void refuse_repeats(const httplib::Request& req, std::initializer_list<const char*> names);
/// The value of a one-value parameter; nullopt when absent; 400 when repeated.
std::optional<std::string> single_param(const httplib::Request& req, const char* name);
/// Every value of a repeatable parameter, in the order given.
std::vector<std::string> repeated_param(const httplib::Request& req, const char* name);

}  // namespace lima::http
