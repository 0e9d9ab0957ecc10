# The shop's PayPal checkout through Alphacomm: the payer approves on PayPal's page, the shop
# learns the outcome by asking (Alphacomm sends no callback), and captures what was approved.
require "securerandom"
require_relative "alphacomm"

class Checkout
  def initialize(alphacomm, return_url:)
    @alphacomm = alphacomm
    @return_url = return_url
  end

  # The payment for an order: its id and the page the payer approves it on.
  def start(order, customer)
    answer = @alphacomm.create(
      "paymentId" => SecureRandom.uuid, "returnUrl" => @return_url, "companyName" => "Example Shop",
      "logo" => "https://shop.example/logo.png", "autoCapture" => false,
      "payer" => payer(customer),
      "transaction" => {
        "reference" => order[:reference], "currency" => "EUR", "amount" => order[:amount_cents],
        "description" => "Order #{order[:reference]}",
        "lines" => order[:lines].map do |line|
          { "name" => line[:name], "description" => line[:name], "sku" => line[:sku],
            "quantity" => line[:quantity].to_s, "amount" => line[:amount_cents] }
        end
      }
    )
    { payment_id: answer.fetch("paymentId"), approve_at: answer.fetch("redirectUrl") }
  end

  # When the payer is back on the return URL: the state asked of Alphacomm decides, and an
  # authorized payment is captured.
  def finish(payment_id)
    case @alphacomm.status(payment_id).fetch("state")
    when "authorized" then @alphacomm.capture(payment_id).fetch("state") == "captured" ? :paid : :pending
    when "captured" then :paid
    when "cancelled", "expired" then :not_paid
    else :pending
    end
  end

  private

  def payer(customer)
    history = [{ "datetime" => "2026-01-01", "id" => "1", "description" => "deposit", "amount" => "0" }]
    {
      "id" => customer[:id], "firstName" => customer[:first_name], "lastName" => customer[:last_name],
      "street" => "Scheepmakerspassage 183", "city" => "Rotterdam", "zipcode" => "3011VH",
      "phone" => "+31612345678", "email" => customer[:email], "country" => "NL", "ipAddress" => "127.0.0.1",
      "language" => "nl", "status" => "registered", "verificationStatus" => 3, "accountType" => "Standard",
      "dateRegistration" => "2026-01-01 13:56:48", "dateLastUpdated" => "2026-01-01 13:56:48",
      "dateFirstPurchase" => "2026-01-01 13:56:48", "withdrawalHistory" => history,
      "cashBalance" => "0", "bonusBalance" => "0", "openPositionCost" => "0",
      "binaryHistory" => history, "forexHistory" => history
    }
  end
end
