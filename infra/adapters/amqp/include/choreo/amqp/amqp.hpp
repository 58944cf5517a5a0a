#pragma once
// Everything of choreo::amqp.
#include "choreo/amqp/connection.hpp"
#include "choreo/amqp/consumer.hpp"
#include "choreo/amqp/error.hpp"
#include "choreo/amqp/field_table.hpp"
#include "choreo/amqp/message.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/amqp/topology.hpp"
