# The shop's PayPal checkout tested inside a sandbox: `paysandbox run -- rspec`.
require "json"
require "net/http"
require_relative "../lib/checkout"

SANDBOX = URI(ENV.fetch("PAYSANDBOX_URL")) # set by `paysandbox run`

def control(type, path, body = nil)
  request = type.new("/_sandbox#{path}")
  if body
    request["Content-Type"] = "application/json"
    request.body = JSON.generate(body)
  end
  response = Net::HTTP.start(SANDBOX.host, SANDBOX.port) { |http| http.request(request) }
  [response.code.to_i, JSON.parse(response.body)]
end

# One client for the whole shop, as the application configures it: its token serves every call.
ALPHACOMM = Alphacomm.new(ENV.fetch("PAYSANDBOX_ALPHACOMM_URL"), ENV.fetch("PAYSANDBOX_ALPHACOMM_CLIENT_ID"),
                          ENV.fetch("PAYSANDBOX_ALPHACOMM_CLIENT_SECRET"))

RSpec.describe Checkout do
  let(:checkout) { Checkout.new(ALPHACOMM, return_url: "https://shop.example/paypal/return") }
  let(:order) do
    { reference: "A-#{rand(1_000_000)}", amount_cents: 2000,
      lines: [{ name: "Gift card", sku: "gift-20", quantity: 1, amount_cents: 2000 }] }
  end
  let(:customer) { { id: "42", first_name: "Ada", last_name: "Lovelace", email: "ada@example.com" } }

  def verify(expectation)
    control(Net::HTTP::Post, "/verify", { "provider" => "alphacomm", "account" => 1 }.merge(expectation))
  end

  it "captures a payment the payer approved, learning it by asking" do
    started = checkout.start(order, customer)
    expect(started[:approve_at]).to include("/paypal/approve/#{started[:payment_id]}")
    expect(checkout.finish(started[:payment_id])).to eq(:pending)

    # The payer approves on PayPal's page: here through the control plane.
    status, = control(Net::HTTP::Post, "/payments/alphacomm/#{started[:payment_id]}/outcome", { "outcome" => "success" })
    expect(status).to eq(200)
    expect(checkout.finish(started[:payment_id])).to eq(:paid)

    expect(verify("route" => "GET /api/paypal/capture/{paymentId}", "payment" => started[:payment_id],
                  "count" => 1).first).to eq(200)
  end

  it "captures nothing the payer cancelled" do
    started = checkout.start(order, customer)
    control(Net::HTTP::Post, "/payments/alphacomm/#{started[:payment_id]}/outcome",
            { "outcome" => "failure", "message" => "cancelled by the payer" })
    expect(checkout.finish(started[:payment_id])).to eq(:not_paid)
    expect(verify("route" => "GET /api/paypal/capture/{paymentId}", "payment" => started[:payment_id],
                  "never" => true).first).to eq(200)
  end

  it "fetched one token for all of it" do
    status, answer = verify("route" => "GET /oauth/v2/token", "at_most" => 1)
    expect(status).to eq(200), answer.to_s
  end
end
